import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, lstat, mkdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { writeJsonAtomic } from '../lib/atomic.js';
import { rejectedFolder } from '../nas/paths.js';
import type { FlagProblem } from '../flags/index.js';

/** What sits in the inbox: its name as shown (invalid UTF-8 replaced by U+FFFD) and the real path to act on. */
export interface InboxEntry {
  name: string;
  /** The entry's path; a Buffer when the name is not valid UTF-8 (a string could not name it). */
  path: string | Buffer;
  /** The name's bytes in hex, when they are not valid UTF-8. */
  nameHex?: string;
}

export interface Rejection {
  /** Where the entry went, or undefined when it could not be moved and was left in the inbox (reported once). */
  file: string | undefined;
  errorFile: string;
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Longest rejected name kept as is, in bytes. The error file (`.error.json`) and its atomic temp name
 * (`.<name>.<pid>.<random>.tmp`) add about 35 bytes, and most file systems stop at 255.
 */
const MAX_KEPT_NAME = 200;

/** `name`, then `stem~2.flag`…; a name too long to take its error file is cut and given a hash of the whole. */
export function rejectedName(name: string, n: number): string {
  const ext = path.extname(name);
  const numbered = n === 1 ? name : `${name.slice(0, name.length - ext.length)}~${String(n)}${ext}`;
  if (Buffer.byteLength(numbered) <= MAX_KEPT_NAME) return numbered;
  const hash = `~${createHash('sha256').update(numbered).digest('hex').slice(0, 12)}${ext}`;
  let stem = numbered.slice(0, MAX_KEPT_NAME - hash.length);
  // Cut whole characters: a split UTF-8 sequence would make a name some shares refuse.
  while (Buffer.byteLength(stem) + hash.length > MAX_KEPT_NAME) stem = stem.slice(0, -1);
  return `${stem}${hash}`;
}

// Shares without hard links answer one of these; the move is then a rename after an existence check.
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS']);

/** Removes an inbox entry that may already be gone. */
export async function removeIfThere(entry: string | Buffer): Promise<void> {
  try {
    await unlink(entry);
  } catch (error) {
    // Someone else (an operator, another host) removed it meanwhile: what we wrote for it stands.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Moves without hard links: rename; across file systems (outbox on another share) a regular file is
 * copied (never over an existing name) and removed. Anything else that cannot cross (a directory, a FIFO)
 * stays where it is: false.
 */
async function moveWithoutLink(source: string | Buffer, target: string): Promise<boolean> {
  try {
    await rename(source, target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
  }
  if (!(await lstat(source)).isFile()) return false;
  await copyFile(source, target, constants.COPYFILE_EXCL);
  await removeIfThere(source);
  return true;
}

/**
 * Moves a bad flag (its original bytes, untouched; a symlink as the link itself; a folder as a whole) to
 * `rejected/` under a free name and writes `<that name>.error.json` next to it. link() claims the name
 * atomically, so two rejections never overwrite each other; the error file is written before the flag
 * leaves the inbox, so a crash leaves the flag to be rejected again rather than a rejection without its
 * reasons. What cannot be moved at all is left in place and its error file says so.
 */
export async function rejectFlag(
  entry: InboxEntry,
  outbox: string,
  details: { problems: FlagProblem[]; sha256?: string; workerId?: string },
): Promise<Rejection> {
  const folder = rejectedFolder(outbox);
  await mkdir(folder, { recursive: true });
  for (let n = 1; ; n += 1) {
    const target = path.join(folder, rejectedName(entry.name, n));
    const errorFile = `${target}.error.json`;
    if (await exists(errorFile)) continue;
    let linked = true;
    try {
      await link(entry.path, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (code === 'EEXIST') continue;
      if (!NO_HARD_LINKS.has(code)) throw error;
      if (await exists(target)) continue;
      linked = false;
    }
    const record = {
      file: entry.name,
      ...(entry.nameHex === undefined ? {} : { file_name_hex: entry.nameHex }),
      rejected_as: path.basename(target),
      worker_id: details.workerId ?? null,
      sha256: details.sha256 ?? null,
      problems: details.problems,
      at: new Date().toISOString(),
    };
    await writeJsonAtomic(errorFile, record);
    if (linked) await removeIfThere(entry.path);
    else if (!(await moveWithoutLink(entry.path, target))) {
      await writeJsonAtomic(errorFile, { ...record, rejected_as: null, left_in_inbox: true });
      return { file: undefined, errorFile };
    }
    return { file: target, errorFile };
  }
}
