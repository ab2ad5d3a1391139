import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import psList from 'ps-list';
import type { ProcessDescriptor } from 'ps-list';

export type { ProcessDescriptor };

const isLinux = process.platform === 'linux';

/** The current user's processes (we cannot signal anyone else's anyway). */
export async function listProcesses(): Promise<ProcessDescriptor[]> {
  return psList({ all: false });
}

/** Every descendant of `root` by parent pid, children before grandchildren. */
export function descendantsOf(root: number, processes: readonly ProcessDescriptor[]): number[] {
  const children = new Map<number, number[]>();
  for (const entry of processes) {
    const siblings = children.get(entry.ppid) ?? [];
    siblings.push(entry.pid);
    children.set(entry.ppid, siblings);
  }
  const found: number[] = [];
  const queue = [root];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of children.get(next) ?? []) {
      if (child === root || found.includes(child)) continue;
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Fields of /proc/<pid>/stat that identify a process: pid numbers are reused, (pid, start) is not. */
export interface ProcStat {
  state: string;
  ppid: number;
  pgrp: number;
  /** Clock ticks since boot. */
  startTicks: number;
}

export function procStat(pid: number): Promise<ProcStat | undefined> {
  return Promise.resolve(procStatNow(pid));
}

/**
 * Read synchronously: procfs is made by the kernel on the read and never waits for a disk, and a trip through
 * libuv's thread pool costs more than the read itself (a group scan of /proc went from ~30 ms to ~1 ms).
 */
function procStatNow(pid: number): ProcStat | undefined {
  if (!isLinux) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is parenthesised and may contain spaces or ')': parse from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '?', ppid: Number(fields[1]), pgrp: Number(fields[2]), startTicks: Number(fields[19]) };
}

/** The exact argument vector (Linux), or undefined where /proc is not available. */
export async function procArgv(pid: number): Promise<string[] | undefined> {
  if (!isLinux) return undefined;
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').slice(0, raw.endsWith('\0') ? -1 : undefined);
  } catch {
    return undefined;
  }
}

/** When the host booted (Linux: `btime` of /proc/stat), in ms; undefined where it cannot be read. */
export async function bootTimeMs(): Promise<number | undefined> {
  if (!isLinux) return undefined;
  try {
    const match = /^btime\s+(\d+)$/m.exec(await readFile('/proc/stat', 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1000;
  } catch {
    return undefined;
  }
}

/** Resident memory from /proc (Linux only): ps-list only has a percentage. */
export async function residentBytes(pid: number): Promise<number | undefined> {
  if (!isLinux) return undefined;
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * A process that exists and is not a zombie. `kill(pid, 0)` alone would count zombies, which an
 * init that never reaps leaves behind for ever. With `startTicks`, a reused pid counts as dead.
 */
export async function isAlive(pid: number, startTicks?: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!isLinux) return true;
  const stat = await procStat(pid);
  if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return false;
  return startTicks === undefined || stat.startTicks === startTicks;
}

/** Live members of process group `pgid` (Linux; elsewhere the group signal alone has to do). */
export function groupMembers(pgid: number): Promise<number[]> {
  return Promise.resolve(isLinux ? groupMembersNow(pgid) : []);
}

function groupMembersNow(pgid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStatNow(Number(entry));
    if (stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X')
      members.push(Number(entry));
  }
  return members;
}

/** Sends `signal`; false when there was nobody to receive it. Never throws for a vanished process. */
export function sendSignal(target: number, signal: NodeJS.Signals): boolean {
  // Never our own process, our own group (target -pid), init, or "every process" (0, -1).
  if (Math.abs(target) <= 1 || target === process.pid || target === -process.pid) return false;
  try {
    process.kill(target, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH' || code === 'EPERM') return false;
    throw error;
  }
}
