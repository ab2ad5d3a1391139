import { rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../lib/atomic.js';
import type { ProcessDescriptor } from './process-tree.js';

/** `00_STATE/watcher_<workerId>.pid`: which process is ours, and how to recognise it. */
export interface PidRecord {
  pid: number;
  command: string;
  args: string[];
  /** The command line as started, for operators reading the file. */
  cmdline: string;
  /** Wall-clock start, compared with the OS start time so a reused pid is not taken for ours. */
  started_at: string;
  /** Linux: start time in clock ticks since boot, an exact identity of the process. */
  start_ticks?: number;
  /** The keep-alive restart that started it (restart.ts), and whether that restart replaced a crashed watcher. */
  start_token?: string;
  after_crash?: boolean;
}

/** A pid reused by another process within this much of our start would fool the check; rare enough. */
const START_TOLERANCE_MS = 60_000;

export async function readPidFile(file: string): Promise<PidRecord | undefined> {
  try {
    const record = await readJsonIfExists<PidRecord>(file);
    return record !== undefined && Number.isInteger(record.pid) && record.pid > 1 ? record : undefined;
  } catch (error) {
    // A torn or foreign pid file identifies nothing; treat it like a stale one.
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

export const writePidFile = (file: string, record: PidRecord): Promise<void> => writeJsonAtomic(file, record);

export async function removePidFile(file: string): Promise<void> {
  await unlink(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

/** Does an argument vector end with the recorded arguments and name the recorded program? */
function argvMatches(argv: readonly string[], record: PidRecord, program: string): boolean {
  const tail = argv.slice(argv.length - record.args.length);
  if (argv.length < record.args.length || tail.some((arg, index) => arg !== record.args[index])) return false;
  return argv.slice(0, argv.length - record.args.length).some((arg) => path.basename(arg).includes(program));
}

/**
 * Is `entry` the process the pid file describes? Never by name alone: the command line must name
 * the program and end with the arguments, and the start time must fit. `argv` (Linux: the exact
 * /proc/<pid>/cmdline) beats ps's flattened command line, which mangles newlines and spaces. On
 * Windows ps-list has no command line, so the executable name has to do there.
 */
export function matchesRecord(
  entry: ProcessDescriptor,
  record: PidRecord,
  argv?: readonly string[],
  platform = process.platform,
): boolean {
  if (entry.pid !== record.pid) return false;
  const program = path.basename(record.command).replace(/\.(exe|cmd|bat)$/i, '');
  if (platform === 'win32') return entry.name.toLowerCase().startsWith(program.toLowerCase());
  if (argv !== undefined) {
    if (!argvMatches(argv, record, program)) return false;
  } else {
    const cmd = entry.cmd ?? '';
    if (!cmd.includes(program) || (record.args.length > 0 && !cmd.endsWith(record.args.join(' ')))) return false;
  }
  if (entry.startTime === undefined) return true;
  return Math.abs(entry.startTime.getTime() - Date.parse(record.started_at)) <= START_TOLERANCE_MS;
}

/**
 * Size-based rotation at start: the detached watcher keeps its log open, so rotating under it
 * would leave it writing to the renamed file. `file.1` is the newest old file.
 */
export async function rotateIfLarge(file: string, maxBytes: number, keep: number): Promise<boolean> {
  const size = await stat(file).then(
    (info) => info.size,
    () => 0,
  );
  if (size < maxBytes) return false;
  for (let index = keep - 1; index >= 1; index -= 1) {
    await rename(`${file}.${index}`, `${file}.${index + 1}`).catch(() => undefined);
  }
  await rename(file, `${file}.1`);
  return true;
}
