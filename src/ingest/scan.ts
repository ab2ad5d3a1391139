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

export async function drainedWorkers(stateDir: string, workerIds: readonly string[]): Promise<string[]> {
  const present = await Promise.all(
    workerIds.map((id) =>
      lstat(drainFlagPath(stateDir, id)).then(
        () => true,
        () => false,
      ),
    ),
  );
  return workerIds.filter((_, i) => present[i] === true);
}

/** Polling mode: what each name looked like when last seen, and since when it has looked so. */
export type StabilityTracker = Map<string, { shape: string; since: number }>;

export interface Waiting extends WaitingFlag, InboxEntry {
  stats: Stats;
  /** The served worker the flag is (or, for a malformed name, is taken to be) for. */
  workerId: string;
}

async function lstatOrUndefined(file: string | Buffer): Promise<Stats | undefined> {
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
  options: { served: readonly string[]; stability?: StabilityTracker; pollInterval: number },
): Promise<Listing> {
  const entries = (await readInbox(inbox)).filter((entry) => !isIgnoredName(entry.name));
  const flags: Waiting[] = [];
  const foreign: string[] = [];
  let unsettled = false;
  const now = Date.now();
  for (const entry of entries) {
    const workerId = servedWorkerOf(entry.name, options.served);
    if (workerId === undefined) {
      foreign.push(entry.name);
      continue;
    }
    const stats = await lstatOrUndefined(entry.path);
    if (stats === undefined) continue;
    if (options.stability !== undefined) {
      const shape = `${String(stats.ino)}:${String(stats.size)}:${String(stats.mtimeMs)}`;
      const seen = options.stability.get(entry.name);
      if (seen?.shape !== shape) options.stability.set(entry.name, { shape, since: now });
      if (seen?.shape !== shape || now - seen.since < options.pollInterval) {
        unsettled = true;
        continue;
      }
    }
    const parsed = parseFlagName(entry.name);
    flags.push({
      ...entry,
      mtimeMs: stats.mtimeMs,
      stats,
      workerId,
      ...(parsed.ok ? { handler: parsed.handler } : {}),
    });
  }
  if (options.stability !== undefined) {
    const present = new Set(entries.map((entry) => entry.name));
    for (const name of options.stability.keys()) if (!present.has(name)) options.stability.delete(name);
  }
  // Decisions first: an approval waited for must not queue behind the handler flags the worker has waiting.
  const sorted = flags.sort(compareWaitingFlags);
  const decisions = sorted.filter((flag) => decisionReadingOf(flag.name) !== undefined);
  const handlers = sorted.filter((flag) => decisionReadingOf(flag.name) === undefined);
  return { flags: [...decisions, ...handlers], foreign, unsettled };
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
