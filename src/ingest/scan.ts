import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { compareWaitingFlags, isIgnoredName, parseFlagName } from '../flags/index.js';
import type { WaitingFlag } from '../flags/index.js';

/** `00_STATE/supervisor_drain_<workerId>.flag`: while it exists, that worker's new flags stay in the inbox. */
export function drainFlagPath(stateDir: string, workerId: string): string {
  return path.join(stateDir, `supervisor_drain_${workerId}.flag`);
}

export async function drainedWorkers(stateDir: string, workerIds: readonly string[]): Promise<string[]> {
  const present = await Promise.all(workerIds.map((id) => lstat(drainFlagPath(stateDir, id)).then(() => true, () => false)));
  return workerIds.filter((_, i) => present[i] === true);
}

/** Polling mode: what each name looked like when last seen, and since when it has looked so. */
export type StabilityTracker = Map<string, { shape: string; since: number }>;

export interface Waiting extends WaitingFlag {
  stats: Stats;
  /** From the name; undefined when the name is malformed (the flag is going to be rejected). */
  workerId?: string;
}

async function lstatOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await lstat(file);
  } catch (error) {
    // Gone between readdir and lstat: taken by someone else or renamed away; nothing to do.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The flags waiting in the inbox in start order (SPEC priority, then mtime, then name). Ignored names and
 * folders are skipped. With `stability` (polling mode) a file is listed only once its size and mtime were
 * the same for a whole poll interval: a writer on a share may not rename, and half a file must not be read.
 */
export async function listWaiting(
  inbox: string,
  options: { stability?: StabilityTracker; pollInterval: number },
): Promise<{ flags: Waiting[]; unsettled: boolean }> {
  const names = (await readdir(inbox)).filter((name) => !isIgnoredName(name));
  const flags: Waiting[] = [];
  let unsettled = false;
  const now = Date.now();
  for (const name of names) {
    const stats = await lstatOrUndefined(path.join(inbox, name));
    if (stats === undefined || stats.isDirectory()) continue;
    if (options.stability !== undefined) {
      const shape = `${String(stats.ino)}:${String(stats.size)}:${String(stats.mtimeMs)}`;
      const seen = options.stability.get(name);
      if (seen?.shape !== shape) options.stability.set(name, { shape, since: now });
      if (seen?.shape !== shape || now - seen.since < options.pollInterval) {
        unsettled = true;
        continue;
      }
    }
    const parsed = parseFlagName(name);
    flags.push({ name, mtimeMs: stats.mtimeMs, stats, ...(parsed.ok ? { handler: parsed.handler, workerId: parsed.workerId } : {}) });
  }
  if (options.stability !== undefined) {
    const present = new Set(names);
    for (const name of options.stability.keys()) if (!present.has(name)) options.stability.delete(name);
  }
  return { flags: flags.sort(compareWaitingFlags), unsettled };
}

/** The listing split per worker, each keeping its start order; malformed names form their own group. */
export function groupByWorker(flags: readonly Waiting[]): Waiting[][] {
  const groups = new Map<string | undefined, Waiting[]>();
  for (const flag of flags) groups.set(flag.workerId, [...(groups.get(flag.workerId) ?? []), flag]);
  return [...groups.values()];
}

/**
 * Runs `fn` over `items` with at most `limit` running at once. Settles only when every lane has stopped,
 * then throws the first error: no work may outlive the pass that started it.
 */
export async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < items.length && failed === undefined) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failed !== undefined) throw failed.error;
}
