import { appendFile, readdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Command } from 'commander';
import { registerIngestCommands } from '../../../src/cli/ingest.js';
import { drainFlagPath, receiptPath } from '../../../src/nas/paths.js';
import { testConfig } from '../../helpers/config.js';
import { WORKER_ID, exists, dropFlag, flagName, waitForJson, workflowExists, useIngestEnv } from './harness.js';

const { engine, tmp, runIngest } = useIngestEnv('ingest-modes-');

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
let seq = 0;
const taskId = (label: string): string => `t_${label}_${String(Date.now())}_${String(++seq)}`;

/** Runs `supervisor <args>` in-process with a config file pointing at `root`. */
async function cli(root: string, ...args: string[]): Promise<void> {
  const file = path.join(root, 'supervisor.yaml');
  await writeFile(file, `worker_id: ${WORKER_ID}\npaths:\n  nas_root: ${JSON.stringify(root)}\n`);
  const program = new Command('supervisor').option('-c, --config <file>').exitOverride();
  registerIngestCommands(program);
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'supervisor', '-c', file, ...args]);
  } finally {
    process.stdout.write = write;
  }
}

describe('ingest: polling mode', () => {
  it('does not read a file that is still growing, then takes it once complete', async () => {
    const root = tmp();
    const config = testConfig(root, { ingest: { polling: true, poll_interval: '300ms' } });
    const { ingest, records } = await runIngest(config);
    expect(ingest.status().mode).toBe('polling');
    const id = taskId('growing');
    // A writer that does not rename: the final name grows for a while, valid JSON only at the very end.
    const file = path.join(config.paths.inbox, flagName('diagnostics'));
    await writeFile(file, `{"task_id": "${id}", "handler": "diagnostics"`);
    for (let i = 0; i < 15; i += 1) {
      await pause(100);
      await appendFile(file, ' ');
    }
    expect(await exists(file)).toBe(true);
    await appendFile(file, '}');
    await waitForJson(receiptPath(config.paths.outbox, WORKER_ID, id, 'accepted'));
    expect(await exists(path.join(config.paths.outbox, 'rejected'))).toBe(false);
    expect(records.filter((r) => r.msg === 'flag rejected; nothing started')).toEqual([]);
    expect(await workflowExists(engine.client, `${WORKER_ID}/${id}`)).toBe(true);
  });
});

describe('ingest: drain', () => {
  it('leaves flags in the inbox while drained and starts them once undrained (supervisor drain / undrain)', async () => {
    const root = tmp();
    const config = testConfig(root, { ingest: { poll_interval: '200ms' } });
    await cli(root, 'drain', '--reason', 'maintenance');
    expect(await exists(drainFlagPath(config.paths.state, WORKER_ID))).toBe(true);
    const { ingest, records } = await runIngest(config);
    const id = taskId('drained');
    await dropFlag(config.paths.inbox, flagName('restart_watcher'), { task_id: id, handler: 'restart_watcher' });
    await ingest.idle();
    await pause(500);
    await ingest.idle();
    expect(ingest.status().draining).toEqual([WORKER_ID]);
    expect(await readdir(config.paths.inbox)).toEqual([flagName('restart_watcher')]);
    expect(await workflowExists(engine.client, `${WORKER_ID}/${id}`)).toBe(false);
    expect(records.filter((r) => typeof r.msg === 'string' && r.msg.startsWith('draining'))).toHaveLength(1);
    await cli(root, 'undrain');
    await waitForJson(receiptPath(config.paths.outbox, WORKER_ID, id, 'accepted'));
    expect(ingest.status().draining).toEqual([]);
    expect(await workflowExists(engine.client, `${WORKER_ID}/${id}`)).toBe(true);
    expect(records.filter((r) => r.msg === 'drain lifted; taking flags again')).toHaveLength(1);
  });

  it('a drain for another worker does not hold this one', async () => {
    const root = tmp();
    const config = testConfig(root);
    const { ingest } = await runIngest(config, [WORKER_ID, 'W2']);
    await writeFile(drainFlagPath(config.paths.state, 'W2'), '{}');
    const id = taskId('other');
    await dropFlag(config.paths.inbox, flagName('verify_db'), { task_id: id, handler: 'verify_db' });
    await waitForJson(receiptPath(config.paths.outbox, WORKER_ID, id, 'accepted'));
    await ingest.idle();
    expect(ingest.status().draining).toEqual(['W2']);
    await unlink(drainFlagPath(config.paths.state, 'W2'));
  });
});
