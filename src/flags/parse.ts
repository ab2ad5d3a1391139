import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { isHandler } from './handlers.js';
import { parseJsonSafely } from './json.js';
import { parseFlagName, readingFor, servedWorkerOf } from './names.js';
import { checkFlag } from './schema.js';
import type { Flag, FlagProblem } from './schema.js';
import { checkSignature } from './signature.js';
import type { SignaturePolicy, SignatureState } from './signature.js';

export interface FlagParseOptions extends SignaturePolicy {
  /** `ingest.max_flag_size` in bytes; a larger file is refused without being read. */
  maxSize: number;
  /** The worker ids this ingest serves; a flag for any other is `foreign` (left for its own host). */
  workerIds: readonly string[];
}

/**
 * `bytes`/`sha256` are there when the file was read, for the rejection record. `transient`: the file
 * vanished, could not be opened or changed while being read; the ingest should look again later rather
 * than reject it (it may be another ingest's, or still being written). `foreign`: the flag is for a
 * worker this ingest does not serve; not a problem, another host's business: leave it untouched.
 * `workerId`: whose flag it is, when the name says (for the rejection record).
 */
export interface FlagReadFailure {
  ok: false;
  problems: FlagProblem[];
  bytes?: Buffer;
  sha256?: string;
  transient?: true;
  foreign?: true;
  workerId?: string;
}

export type FlagParseResult =
  | { ok: true; flag: Flag; sha256: string; bytes: Buffer; workerId: string; signature: SignatureState }
  | FlagReadFailure;

/** readFlagFile's answer: a valid flag also says which file its bytes came from. */
export type FlagFileResult = (Extract<FlagParseResult, { ok: true }> & { stats: Stats }) | FlagReadFailure;

export function flagParseOptions(config: Config, workerIds: readonly string[] = [config.worker_id]): FlagParseOptions {
  return {
    maxSize: config.ingest.max_flag_size,
    workerIds,
    requireSignature: config.security.require_signature,
    hmacKey: config.security.hmac_key,
  };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function tooLarge(size: number, maxSize: number): FlagProblem {
  return {
    path: '(file)',
    message: `is ${String(size)} bytes, over the limit of ${String(maxSize)} (ingest.max_flag_size); not read`,
  };
}

interface NameCheck {
  /** The worker the flag is for (for a malformed name: the served one whose id ends it), when known. */
  workerId?: string;
  /** For a worker this ingest does not serve: not a problem, another host's flag; leave it alone. */
  foreign?: true;
  problems: FlagProblem[];
}

/** The name's handler and worker id must agree with the body; the worker decides whose flag it is. */
function crossCheck(fileName: string, body: unknown, options: FlagParseOptions): NameCheck {
  const reading = readingFor(fileName, body);
  if (reading === undefined) {
    const name = parseFlagName(fileName);
    const workerId = servedWorkerOf(fileName, options.workerIds);
    return {
      ...(workerId === undefined ? { foreign: true } : { workerId }),
      problems: [{ path: '(name)', message: name.ok ? 'is malformed' : name.message }],
    };
  }
  if (!options.workerIds.includes(reading.workerId)) {
    const message = `is for worker ${reading.workerId}, which this ingest does not serve (serves: ${options.workerIds.join(', ')})`;
    return { workerId: reading.workerId, foreign: true, problems: [{ path: '(name)', message }] };
  }
  const handler = typeof body === 'object' && body !== null ? (body as { handler?: unknown }).handler : undefined;
  const problems =
    isHandler(handler) && handler !== reading.handler
      ? [{ path: '(name)', message: `names handler ${reading.handler} but the body says ${handler}` }]
      : [];
  return { workerId: reading.workerId, problems };
}

function ownerOf(names: NameCheck): { foreign?: true; workerId?: string } {
  return {
    ...(names.foreign ? { foreign: true } : {}),
    ...(names.workerId === undefined ? {} : { workerId: names.workerId }),
  };
}

/** What a flag's bytes say as JSON, before any schema: size, UTF-8 and JSON safety (json.ts) checked. */
export type FlagJson = { ok: true; value: unknown; problems: FlagProblem[] } | { ok: false; problems: FlagProblem[] };

/** The checks every kind of flag body passes first: not empty, within the size limit, UTF-8, safe JSON. */
export function decodeFlagJson(bytes: Buffer, maxSize: number): FlagJson {
  if (bytes.length === 0) return { ok: false, problems: [{ path: '(file)', message: 'is empty' }] };
  if (bytes.length > maxSize) return { ok: false, problems: [tooLarge(bytes.length, maxSize)] };
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return { ok: false, problems: [{ path: '(file)', message: 'is not valid UTF-8 text' }] };
  }
  return parseJsonSafely(text);
}

/** Checks a flag's bytes; `fileName` is its base name in the inbox. Lists every problem; never throws. */
export function parseFlagBytes(bytes: Buffer, fileName: string, options: FlagParseOptions): FlagParseResult {
  const name = path.basename(fileName);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const unread = crossCheck(name, undefined, options);
  const nameProblems = unread.problems;
  const fail = (problems: FlagProblem[], names: NameCheck = unread): FlagParseResult => ({
    ok: false,
    problems,
    bytes,
    sha256,
    ...ownerOf(names),
  });
  const json = decodeFlagJson(bytes, options.maxSize);
  if (!json.ok) return fail([...json.problems, ...nameProblems]);
  const schema = checkFlag(json.value);
  const signature = checkSignature(json.value, options);
  const names = crossCheck(name, json.value, options);
  const problems = [...names.problems, ...json.problems, ...(schema.ok ? [] : schema.problems), ...signature.problems];
  if (!schema.ok || problems.length > 0 || names.workerId === undefined) return fail(problems, names);
  return { ok: true, flag: schema.flag, sha256, bytes, workerId: names.workerId, signature: signature.state };
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  return 'a device or other special file';
}

// O_NOFOLLOW closes the gap between lstat and open; O_NONBLOCK keeps a FIFO swapped in from hanging the open.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/**
 * A flag file's bytes, read safely: lstat first, never following a link, so a symlink or special file is
 * refused and a file over `maxSize` is refused before a byte is read. `transient`: look again later (it
 * vanished, could not be opened, or changed while being read). Never throws.
 */
export async function readFlagBytes(
  filePath: string,
  maxSize: number,
): Promise<{ ok: true; bytes: Buffer; stats: Stats } | { ok: false; problem: FlagProblem; transient?: true }> {
  const refuse = (message: string) => ({ ok: false as const, problem: { path: '(file)', message } });
  const later = (message: string) => ({ ...refuse(message), transient: true as const });
  let before: Stats;
  try {
    before = await lstat(filePath);
  } catch (error) {
    return later(`cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (before.isSymbolicLink()) return refuse('is a symbolic link (not followed): a flag must be a regular file');
  if (!before.isFile()) return refuse(`is ${kindOf(before)}, not a regular file`);
  if (before.size > maxSize) return { ok: false, problem: tooLarge(before.size, maxSize) };
  let bytes: Buffer;
  try {
    const handle = await open(filePath, OPEN_FLAGS);
    try {
      const now = await handle.stat();
      if (now.ino !== before.ino || now.dev !== before.dev || !now.isFile())
        return later('was replaced while being read');
      bytes = await readAtMost(handle, Math.min(before.size, maxSize) + 1);
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return refuse('is a symbolic link (not followed): a flag must be a regular file');
    return later(`cannot be read: ${code ?? String(error)}`);
  }
  if (bytes.length !== before.size)
    return later(`changed while being read (lstat said ${String(before.size)} bytes; still being written?)`);
  return { ok: true, bytes, stats: before };
}

/**
 * Reads (readFlagBytes) and checks (parseFlagBytes) a handler flag file. Never throws. `stats`: the lstat
 * of the very file the bytes came from (checked against the open file), for the ledger's file identity.
 */
export async function readFlagFile(filePath: string, options: FlagParseOptions): Promise<FlagFileResult> {
  const name = path.basename(filePath);
  const read = await readFlagBytes(filePath, options.maxSize);
  if (read.ok) {
    const parsed = parseFlagBytes(read.bytes, name, options);
    return parsed.ok ? { ...parsed, stats: read.stats } : parsed;
  }
  if (read.transient) return { ok: false, problems: [read.problem], transient: true };
  const unread = crossCheck(name, undefined, options);
  return { ok: false, problems: [read.problem, ...unread.problems], ...ownerOf(unread) };
}

/**
 * Reads up to `limit` bytes (lstat's size and one more); one byte more than lstat reported tells that the
 * file is still growing. A short read once lstat's size is in is the file's end (POSIX, regular file), so
 * the usual flag takes one read instead of a second one that returns nothing.
 */
async function readAtMost(handle: FileHandle, limit: number): Promise<Buffer> {
  const buffer = Buffer.alloc(limit);
  let filled = 0;
  while (filled < limit) {
    const { bytesRead } = await handle.read(buffer, filled, limit - filled, null);
    filled += bytesRead;
    if (bytesRead === 0 || filled >= limit - 1) break;
  }
  return buffer.subarray(0, filled);
}
