import { randomBytes } from 'node:crypto';
import { link, lstat, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { WorkerId } from '../config/schema.js';
import { flagFileName } from './names.js';
import { parseFlagBytes } from './parse.js';
import { checkFlag } from './schema.js';
import type { FlagInput, FlagProblem } from './schema.js';
import { signBody } from './signature.js';

/** The flag would be refused by the ingest; nothing was written. */
export class FlagInvalidError extends Error {
  constructor(readonly problems: FlagProblem[]) {
    super(`invalid flag:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
    this.name = 'FlagInvalidError';
  }
}

/** A flag for the same handler and worker still waits in the inbox; overwriting it would lose it. */
export class FlagWaitingError extends Error {
  constructor(
    readonly path: string,
    /** A folder (or other non-file) holds the name: the ingest moves it to rejected/, or remove it. */
    readonly notAFile = false,
  ) {
    super(
      notAFile
        ? `something that is not a flag file (a folder?) has this flag's name in the inbox: ${path} (the ingest moves it to rejected/; or remove it, then write again)`
        : `a flag with this name is already waiting in the inbox: ${path} (let the ingest take it first)`,
    );
    this.name = 'FlagWaitingError';
  }
}

export interface WriteFlagOptions {
  workerId: string;
  /** `ingest.max_flag_size`: the file written must be one the ingest reads. */
  maxSize: number;
  /** `security.hmac_key`: the flag is signed when given. */
  hmacKey?: string | undefined;
}

/** `task_YYYYMMDD_HHMMSS_<8 hex>` in UTC: sortable by time, unique without coordination. */
export function newTaskId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  return `task_${stamp}_${randomBytes(4).toString('hex')}`;
}

/** Exactly the bytes to write, proven acceptable by the ingest's own parser before anything touches the disk. */
function render(flag: FlagInput, options: WriteFlagOptions): { fileName: string; bytes: Buffer } {
  const worker = WorkerId.safeParse(options.workerId);
  if (!worker.success)
    throw new FlagInvalidError([
      {
        path: '(name)',
        message: `worker id ${JSON.stringify(options.workerId)} ${worker.error.issues[0]?.message ?? 'is invalid'}`,
      },
    ]);
  const checked = checkFlag({ ...flag, signature: undefined });
  if (!checked.ok) throw new FlagInvalidError(checked.problems);
  const { signature: _unused, ...body } = checked.flag;
  const signed = options.hmacKey ? { ...body, signature: signBody(body, options.hmacKey) } : body;
  const fileName = flagFileName(body.handler, options.workerId);
  const bytes = Buffer.from(`${JSON.stringify(signed, null, 2)}\n`, 'utf8');
  const policy = {
    maxSize: options.maxSize,
    workerIds: [options.workerId],
    requireSignature: false,
    hmacKey: options.hmacKey,
  };
  const verdict = parseFlagBytes(bytes, fileName, policy);
  if (!verdict.ok) throw new FlagInvalidError(verdict.problems);
  return { fileName, bytes };
}

/** Hard links are missing on some NAS mounts (SMB); then a checked rename is the best available. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Validates, signs when a key is configured, and writes the flag atomically into `inbox`: a dot-prefixed
 * temp file (ignored by the ingest), fsync, then link to the final name, which fails instead of replacing
 * a flag that is still waiting. Returns the final path.
 */
export async function writeFlag(inbox: string, flag: FlagInput, options: WriteFlagOptions): Promise<string> {
  const { fileName, bytes } = render(flag, options);
  const target = path.join(inbox, fileName);
  const temp = path.join(inbox, `.${fileName}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await placeWithoutReplacing(temp, target);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  await syncDirectory(inbox);
  return target;
}

async function placeWithoutReplacing(temp: string, target: string): Promise<void> {
  try {
    await link(temp, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new FlagWaitingError(target, !(await isFile(target)));
    if (code === undefined || !NO_LINKS.has(code)) throw error;
    // Small race: a flag of the same name dropped between this check and the rename would be replaced.
    const existing = await lstat(target).catch(() => undefined);
    // A rename onto a folder would fail or, with an operator's `mv`, move the flag into it.
    if (existing !== undefined) throw new FlagWaitingError(target, !existing.isFile());
    await rename(temp, target);
  }
}

async function isFile(file: string): Promise<boolean> {
  return await lstat(file).then(
    (stats) => stats.isFile(),
    () => false,
  );
}

/** Makes the new directory entry durable; not every platform or share lets a directory be opened, hence best effort. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The flag is written either way; only its survival of a power cut right now is less certain.
  }
}
