import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import type { Config } from '../../../src/config/schema.js';
import type { AuditRecord } from '../../../src/audit/index.js';
import { auditFileOf, pendingAuditFileOf } from '../../../src/nas/paths.js';
import { pidFilePath } from '../../../src/nas/paths.js';
import { readHeartbeat } from '../../helpers/fake-watcher.js';
import { isProcessAlive, killAll, waitFor, waitForOutput } from '../../helpers/process.js';
import type { SupervisorEnv } from '../../helpers/supervisor-env.js';

/** Every watcher pid a test saw; SIGKILLed (with its group) after each test whatever happened. */
export const seenPids = new Set<number>();

export function killSeen(): void {
  killAll([...seenPids].flatMap((pid) => [pid, -pid]));
  seenPids.clear();
}

/** The pid in the watcher's pid file when that process is alive, else undefined. */
export async function watcherPid(config: Config): Promise<number | undefined> {
  try {
    const { pid } = JSON.parse(await readFile(pidFilePath(config), 'utf8')) as { pid: number };
    seenPids.add(pid);
    return (await isProcessAlive(pid)) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Waits for the watcher's first heartbeat from `pid`: its signal handlers are installed by then. */
export async function waitForBeat(config: Config, pid: number): Promise<void> {
  await waitFor('watcher heartbeat', async () => (await readHeartbeat(config.watcher.heartbeat_file))?.pid === pid);
}

/** The NDJSON audit (no database), or with `pending` the rows the database refused. */
export async function ndjsonAudit(config: Config, pending = false): Promise<AuditRecord[]> {
  const { logs } = config.paths;
  const file = pending ? pendingAuditFileOf(logs, config.worker_id) : auditFileOf(logs);
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AuditRecord);
}

const WORKER_SCRIPT = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

/**
 * A supervisor worker for `config` in a process of its own, for tests that SIGKILL it; resolves once it
 * polls. node itself with tsx's loader (not the tsx launcher, which forks): the pid is the worker's.
 */
export async function spawnWorkerProcess(
  env: SupervisorEnv,
  config: Config,
  dir: string,
): Promise<{ child: ResultPromise }> {
  const configFile = path.join(dir, 'config.json');
  const bundleFile = path.join(dir, 'bundle.js');
  await writeFile(configFile, JSON.stringify(config));
  await writeFile(bundleFile, env.bundle.code);
  const args = ['--import', 'tsx', WORKER_SCRIPT, env.server.address, configFile, bundleFile];
  const child = execa(process.execPath, args, { reject: false, stdin: 'ignore', stderr: 'inherit' });
  if (child.pid !== undefined) seenPids.add(child.pid);
  await waitForOutput(child, 'ready', 60_000);
  // Wrapped: a ResultPromise returned as is would be awaited, i.e. until the worker exits.
  return { child };
}
