import { unlink } from 'node:fs/promises';
import type { Command } from 'commander';
import { writeJsonAtomic } from '../../lib/atomic.js';
import { drainFlagPath } from '../../nas/paths.js';
import { configFor, operatorName } from '../common.js';

/** `supervisor drain`: the drain file makes the ingest leave this worker's flags in the inbox. */
export async function runDrain(options: { worker?: string; reason?: string }, command: Command): Promise<void> {
  const { config } = await configFor(command);
  const workerId = options.worker ?? config.worker_id;
  const file = drainFlagPath(config.paths.state, workerId);
  await writeJsonAtomic(file, {
    worker_id: workerId,
    by: operatorName() ?? 'unknown',
    at: new Date().toISOString(),
    reason: options.reason ?? null,
  });
  process.stdout.write(`draining ${workerId}: ${file}\n`);
}

/** `supervisor undrain`: removes the drain file; idempotent. */
export async function runUndrain(options: { worker?: string }, command: Command): Promise<void> {
  const { config } = await configFor(command);
  const workerId = options.worker ?? config.worker_id;
  const file = drainFlagPath(config.paths.state, workerId);
  try {
    await unlink(file);
    process.stdout.write(`resumed ${workerId}: removed ${file}\n`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    process.stdout.write(`${workerId} was not draining (${file} absent)\n`);
  }
}
