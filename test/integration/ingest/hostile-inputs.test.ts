/**
 * Issue 17: every kind of hostile input (hostile-cases.ts) dropped by hand, one after another, into the inbox
 * of a running supervisor: its own worker and handler workflows, its ingest, a watcher it started, a git
 * checkout, signatures required. Each is rejected with its problem named and its bytes kept (another
 * worker's flag is left alone); nothing starts, the watcher and git are untouched, nothing is written outside
 * the configured folders, and a valid flag is SERVED at the end. The same bodies started straight through
 * Temporal are refused by the workflows' own validation. Prints the figures.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readFile, readdir, readlink, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { startIngest } from '../../../src/ingest.js';
import { taskQueueOf } from '../../../src/config/schema.js';
import type { Config } from '../../../src/config/schema.js';
import { writeFlag } from '../../../src/flags/write.js';
import { receiptPath, rejectedFolder } from '../../../src/nas/paths.js';
import { silentLogger } from '../../helpers/config.js';
import { recordFigure } from '../../helpers/figures.js';
import { waitFor } from '../../helpers/process.js';
import { readResultFile } from '../../helpers/supervisor-env.js';
import { useCodeEnv } from '../handlers/code-env.js';
import { ndjsonAudit, watcherPid } from '../handlers/support.js';
import { KEY, hostileCases } from './hostile-cases.js';
import type { HostileCase, Placed } from './hostile-cases.js';
import { listWorkflowIds, waitForJson } from './harness.js';

interface ErrorFile {
  file: string;
  rejected_as: string;
  problems: { path: string; message: string }[];
}

/** The valid flags the suite runs on purpose: the replayed one and the last. */
const SERVED = ['h_final_ok', 'h_replay'];

const present = (file: string): Promise<boolean> =>
  lstat(file).then(
    () => true,
    () => false,
  );
const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Every file under `dir` but those under `skip` (the NAS, the test's scratch), with a hash of its content. */
async function snapshot(dir: string, skip: string[]): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (skip.some((folder) => file.startsWith(`${folder}${path.sep}`)) || !entry.isFile()) continue;
    files[path.relative(dir, file)] = sha(await readFile(file));
  }
  return files;
}

describe('hostile inputs against a running supervisor', () => {
  const code = useCodeEnv();

  it('rejects every kind with its problem named and executes none, by flag and by direct start', async () => {
    const pid = await code.setUp();
    const base = code.config();
    const config: Config = { ...base, security: { ...base.security, require_signature: true, hmac_key: KEY } };
    const { inbox, outbox, nas_root: nas } = config.paths;
    const root = code.temp().path;
    const scratch = path.join(root, 'scratch');
    await mkdir(scratch);
    const marker = path.join(root, 'pwned');
    const cases = hostileCases(marker);
    const before = await snapshot(root, [nas, scratch]);
    const { client } = code.env();
    const ingest = await startIngest({ config, logger: silentLogger, client });
    const failures: string[] = [];
    const signedBy = { workerId: config.worker_id, maxSize: config.ingest.max_flag_size, hmacKey: KEY };
    let foreign: Placed | undefined;
    try {
      for (const hostile of cases) {
        const known = await rejectedNames(config);
        const placed = await hostile.place(inbox, scratch, config.worker_id);
        if (hostile.foreign) {
          foreign = placed;
          continue;
        }
        const problem = await rejection(config, placed, known).then(
          (error) => checkRejected(config, hostile, placed, error),
          (caught: unknown) => String(caught),
        );
        if (problem !== undefined) failures.push(`${hostile.what}: ${problem}`);
      }
      // A signed flag replayed: the copy of one that ran is a duplicate, not a second run.
      const replay = await writeFlag(inbox, { task_id: 'h_replay', handler: 'diagnostics' }, signedBy);
      const bytes = await readFile(replay);
      await waitForJson(receiptPath(outbox, config.worker_id, 'h_replay', 'accepted'));
      await client.workflow.getHandle(`${config.worker_id}/h_replay`).result();
      await writeFile(path.join(scratch, 'replay'), bytes);
      await rename(path.join(scratch, 'replay'), replay);
      await waitForJson(receiptPath(outbox, config.worker_id, 'h_replay', 'duplicate'));
      // Still serving: a valid signed flag, written as `supervisor flag` writes it, runs to its result.
      await writeFlag(
        inbox,
        { task_id: 'h_final_ok', handler: 'diagnostics' },
        {
          workerId: config.worker_id,
          maxSize: config.ingest.max_flag_size,
          hmacKey: KEY,
        },
      );
      await waitForJson(receiptPath(outbox, config.worker_id, 'h_final_ok', 'accepted'));
      await client.workflow.getHandle(`${config.worker_id}/h_final_ok`).result();
      await ingest.idle();
    } finally {
      await ingest.stop();
    }
    // Another worker's flag: still there, as it was.
    expect(foreign?.bytes).toBeDefined();
    expect(await readFile(path.join(inbox, foreign?.name ?? ''))).toEqual(foreign?.bytes);
    expect(await readdir(inbox)).toEqual([foreign?.name]);

    const refused = await directStarts(config, cases);
    const handlerRuns = (await listWorkflowIds(client)).filter((id) => id.startsWith(`${config.worker_id}/`));
    const executed = handlerRuns.filter(
      (id) => !SERVED.some((task) => id === `${config.worker_id}/${task}`) && !id.includes('/direct_'),
    );
    const audited = (await ndjsonAudit(config)).filter((row) => !SERVED.includes(row.task_id ?? ''));
    expect(handlerRuns.filter((id) => id === `${config.worker_id}/h_replay`)).toHaveLength(1);
    expect((await readResultFile(config, 'h_final_ok')).success).toBe(true);
    expect(await watcherPid(config)).toBe(pid);
    expect(existsSync(marker)).toBe(false);
    expect(await snapshot(root, [nas, scratch])).toEqual(before);
    const rejectedCount = cases.length - 1 - failures.length;
    recordFigure(`hostile inputs rejected: ${rejectedCount}/${cases.length - 1}, executed: ${executed.length}`);
    recordFigure(`hostile direct starts refused: ${refused.refused}/${refused.total}, executed: ${refused.executed}`);
    expect(failures).toEqual([]);
    expect(executed).toEqual([]);
    expect(audited).toEqual([]);
    expect(refused.refused).toBe(refused.total);
    expect(refused.executed).toBe(0);
  }, 240_000);

  async function rejectedNames(config: Config): Promise<Set<string>> {
    const folder = rejectedFolder(config.paths.outbox);
    return new Set(existsSync(folder) ? await readdir(folder) : []);
  }

  /** The rejection record of the file just placed: it left the inbox, and its error file is the one new there. */
  async function rejection(config: Config, placed: Placed, known: Set<string>): Promise<ErrorFile> {
    const folder = rejectedFolder(config.paths.outbox);
    return await waitFor(
      `the rejection of ${placed.name.slice(0, 60)}`,
      async () => {
        // lstat, not a read: opening a FIFO for reading would block this test.
        if (await present(path.join(config.paths.inbox, placed.name))) return undefined;
        const fresh = (await readdir(folder).catch(() => [])).filter((f) => f.endsWith('.error.json') && !known.has(f));
        if (fresh.length !== 1) return undefined;
        return JSON.parse(await readFile(path.join(folder, fresh[0] ?? ''), 'utf8')) as ErrorFile;
      },
      30_000,
    );
  }

  /** Undefined when the rejection names the case's problem and kept what was placed; else what is wrong. */
  async function checkRejected(
    config: Config,
    hostile: HostileCase,
    placed: Placed,
    error: ErrorFile,
  ): Promise<string | undefined> {
    const named = error.problems.map((p) => `${p.path}: ${p.message}`);
    if (!named.some((line) => hostile.problem.test(line)))
      return `problem ${String(hostile.problem)} not named in ${JSON.stringify(named)}`;
    const kept = path.join(rejectedFolder(config.paths.outbox), error.rejected_as);
    const stats = await lstat(kept);
    if (placed.kind === 'fifo') return stats.isFIFO() ? undefined : 'the FIFO was not kept as a FIFO';
    if (placed.kind === 'symlink') return (await readlink(kept)) ? undefined : 'the link was not kept';
    if (placed.kind === 'directory')
      return (await readFile(path.join(kept, 'inside.txt'), 'utf8')) === 'keep me' ? undefined : 'folder content lost';
    return placed.bytes !== undefined && sha(await readFile(kept)) === sha(placed.bytes)
      ? undefined
      : 'the bytes kept differ from the bytes placed';
  }

  /** Starts each case's body as its handler workflow straight through Temporal: refused, nothing done. */
  async function directStarts(config: Config, cases: HostileCase[]) {
    const { client } = code.env();
    const direct = cases.filter((c) => c.direct !== undefined);
    let refused = 0;
    for (const [index, hostile] of direct.entries()) {
      const { handler, body } = hostile.direct ?? { handler: '', body: null };
      const type = ['verify_db', 'rollback_code', 'pause_watcher'].includes(handler) ? handler : 'verify_db';
      const handle = await client.workflow.start(type, {
        workflowId: `${config.worker_id}/direct_${String(index)}`,
        taskQueue: taskQueueOf(config),
        args: [body],
      });
      const cause = await handle.result().then(
        () => undefined,
        (caught: unknown) => (caught as { cause?: { type?: string; message?: string } }).cause,
      );
      if (cause?.type === 'InvalidHandlerInput') refused += 1;
    }
    const results = await readdir(path.join(config.paths.outbox, config.worker_id)).catch(() => []);
    const executed = results.filter(
      (f) => f.startsWith('direct_') || (f.startsWith('h_') && !SERVED.some((task) => f.startsWith(task))),
    ).length;
    return { total: direct.length, refused, executed };
  }
});
