import { readFile } from 'node:fs/promises';
import type { Config } from '../../../src/config/schema.js';
import type { AuditRecord } from '../../../src/audit/index.js';
import { auditFileOf } from '../../../src/nas/paths.js';
import { pidFilePath } from '../../../src/nas/paths.js';
import { readHeartbeat } from '../../helpers/fake-watcher.js';
import { isProcessAlive, killAll, waitFor } from '../../helpers/process.js';

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

export async function ndjsonAudit(config: Config): Promise<AuditRecord[]> {
  const text = await readFile(auditFileOf(config.paths.logs), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AuditRecord);
}
