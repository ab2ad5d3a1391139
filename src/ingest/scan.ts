import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  compareWaitingFlags,
  decisionReadingOf,
  isIgnoredName,
  parseFlagName,
  servedWorkerOf,
} from '../flags/index.js';
import { drainFlagPath } from '../nas/paths.js';
import type { InboxEntry } from './reject.js';
import type { WaitingFlag } from '../flags/index.js';

/** The served workers with a drain flag in 00_STATE: one listing of the folder rather than an lstat each. */
export async function drainedWorkers(stateDir: string, workerIds: readonly string[]): Promise<string[]> {
  let names: Set<string>;
  try {
    names = new Set(await readdir(stateDir));
  } catch {
    return [];
  }
  return workerIds.filter((id) => names.has(path.basename(drainFlagPath(stateDir, id))));
}

/** Polling mode: what each name looked like when last seen, and since when it has looked so. */
export type StabilityTracker = Map<string, { shape: string; since: number }>;

/** An entry's key: its name, or for a name that is not UTF-8 its bytes. */
export const entryKey = (entry: InboxEntry): string => entry.nameHex ?? entry.name;

export interface Waiting extends WaitingFlag, InboxEntry {
  stats: Stats;
  /** The served worker the flag is (or, for a malformed name, is taken to be) for. */
  workerId: string;
}

export async function lstatOrUndefined(file: string | Buffer): Promise<Stats | undefined> {
  try {
    return await lstat(file);
  } catch (error) {
    // Gone between readdir and lstat: taken by someone else or renamed away; nothing to do.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The inbox's entries by their bytes: a name that is not valid UTF-8 comes back from a plain readdir with
 * U+FFFD in it, a name no file has, and would never be seen. Such a name keeps its Buffer path.
 */
async function readInbox(inbox: string): Promise<InboxEntry[]> {
  const folder = Buffer.from(inbox.endsWith(path.sep) ? inbox : `${inbox}${path.sep}`);
  return (await readdir(inbox, { encoding: 'buffer' })).map((raw) => {
    try {
      const name = UTF8.decode(raw);
      return { name, path: path.join(inbox, name) };
    } catch {
      return { name: raw.toString('utf8'), path: Buffer.concat([folder, raw]), nameHex: raw.toString('hex') };
    }
  });
}

export interface Listing {
  flags: Waiting[];
  /** Flags of workers this ingest does not serve: left alone (another host's), by name. */
  foreign: string[];
  unsettled: boolean;
}

/**
 * The flags of the `served` workers waiting in the inbox, in start order (approval decisions, then SPEC
 * priority, then mtime, then name). Ignored names are skipped; a folder with a flag's name is listed (it is going to be moved aside:
 * left there it would block the name, and an operator's `mv` would move the next flag into it). With
 * `stability` (polling mode) a file is listed only once its size and mtime were the same for a whole poll
 * interval: a writer on a share may not rename, and half a file must not be read.
 */
export async function listWaiting(
  inbox: string,
  options: {
    served: readonly string[];
    stability?: StabilityTracker;
    pollInterval: number;
    /** Entries being handled right now (by entryKey): neither listed nor looked at. */
    skip?: (key: string) => boolean;
  },
): Promise<Listing> {
  const entries = (await readInbox(inbox)).filter((entry) => !isIgnoredName(entry.name));
  const foreign: string[] = [];
  const served: { entry: InboxEntry; workerId: string }[] = [];
  for (const entry of entries) {
    const workerId = servedWorkerOf(entry.name, options.served);
    if (workerId === undefined) foreign.push(entry.name);
    else if (options.skip?.(entryKey(entry)) !== true) served.push({ entry, workerId });
  }
  const stats = await lstatAll(served.map(({ entry }) => entry.path));
  const flags: Waiting[] = [];
  let unsettled = false;
  const now = Date.now();
  served.forEach(({ entry, workerId }, i) => {
    const stat = stats[i];
    if (stat === undefined) return;
    if (options.stability !== undefined) {
      const shape = `${String(stat.ino)}:${String(stat.size)}:${String(stat.mtimeMs)}`;
      const seen = options.stability.get(entry.name);
      if (seen?.shape !== shape) options.stability.set(entry.name, { shape, since: now });
      if (seen?.shape !== shape || now - seen.since < options.pollInterval) {
        unsettled = true;
        return;
      }
    }
    flags.push(waitingOf(entry, workerId, stat));
  });
  if (options.stability !== undefined) {
    const present = new Set(entries.map((entry) => entry.name));
    for (const name of options.stability.keys()) if (!present.has(name)) options.stability.delete(name);
  }
  return { flags: inStartOrder(flags), foreign, unsettled };
}

/** lstat-s a few dozen at a time: side by side they cost one round trip on a share, not one each. */
export async function lstatAll(paths: readonly (string | Buffer)[]): Promise<(Stats | undefined)[]> {
  const stats: (Stats | undefined)[] = [];
  for (let i = 0; i < paths.length; i += LSTATS_AT_ONCE)
    stats.push(...(await Promise.all(paths.slice(i, i + LSTATS_AT_ONCE).map(lstatOrUndefined))));
  return stats;
}
const LSTATS_AT_ONCE = 32;

export function waitingOf(entry: InboxEntry, workerId: string, stats: Stats): Waiting {
  const parsed = parseFlagName(entry.name);
  return { ...entry, mtimeMs: stats.mtimeMs, stats, workerId, ...(parsed.ok ? { handler: parsed.handler } : {}) };
}

/** Approval decisions, then SPEC priority, then mtime, then name. */
export function inStartOrder(flags: Waiting[]): Waiting[] {
  // Decisions first: an approval waited for must not queue behind the handler flags the worker has waiting.
  const sorted = flags.sort(compareWaitingFlags);
  const decisions = sorted.filter((flag) => decisionReadingOf(flag.name) !== undefined);
  const handlers = sorted.filter((flag) => decisionReadingOf(flag.name) === undefined);
  return [...decisions, ...handlers];
}

/** The listing split per worker, each keeping its start order. */
export function groupByWorker(flags: readonly Waiting[]): Map<string, Waiting[]> {
  const groups = new Map<string, Waiting[]>();
  for (const flag of flags) {
    const group = groups.get(flag.workerId);
    if (group === undefined) groups.set(flag.workerId, [flag]);
    else group.push(flag);
  }
  return groups;
}
