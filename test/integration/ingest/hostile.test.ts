/**
 * Chaos-lite: hostile entries dropped into the inbox of a running ingest all at once. Each must be moved
 * to rejected/ once with its problem named and its bytes kept, and the ingest must still serve a valid
 * flag afterwards.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Config } from '../../../src/config/schema.js';
import { receiptPath } from '../../../src/nas/paths.js';
import { testConfig } from '../../helpers/config.js';
import { waitFor } from '../../helpers/process.js';
import { WORKER_ID, dropFlag, flagName, listWorkflowIds, runIngest, waitForJson, useIngestEnv } from './harness.js';

const { engine, tmp } = useIngestEnv('ingest-hostile-');

interface ErrorFile {
  file: string;
  file_name_hex?: string;
  rejected_as: string;
  worker_id: string | null;
  problems: { path: string; message: string }[];
}

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** A name of exactly `length` characters that ends in `_W1.flag` (malformed: no known handler). */
function longName(length: number): string {
  const head = 'supervisor_frobnicate_';
  const tail = `_${WORKER_ID}.flag`;
  return `${head}${'x'.repeat(length - head.length - tail.length)}${tail}`;
}

const deep = (id: string): string =>
  `{"task_id":"${id}","handler":"update_code","params":${'{"a":'.repeat(4_000)}{}${'}'.repeat(4_000)}}`;

describe('ingest: hostile flags against a running ingest', () => {
  it('rejects each once, naming the problem, keeps the bytes, and still serves a valid flag', async () => {
    const root = tmp();
    const config = testConfig(root);
    const { inbox, outbox } = config.paths;
    const { ingest, records } = await runIngest(engine.client, config);
    try {
      const id = `t_hostile_${String(Date.now())}`;
      // name → [bytes placed, expected problem]; each name is a different handler, so all wait at once.
      const files: [string, Buffer, { path: string; message: RegExp }][] = [
        [flagName('update_code'), Buffer.from(deep(`${id}_deep`)), { path: '(file)', message: /too deeply nested/ }],
        [
          flagName('rollback_code'),
          Buffer.from(
            `{"task_id":"${id}_dup","handler":"rollback_code","params":{"commits_back":11,"commits_back":1}}`,
          ),
          { path: 'params.commits_back', message: /given twice/ },
        ],
        [
          flagName('verify_db'),
          Buffer.from('{"task_id":".","handler":"verify_db"}'),
          { path: 'task_id', message: /must not be "\." or "\.\."/ },
        ],
        [
          flagName('update_code_deps'),
          Buffer.from('{"task_id":"..","handler":"update_code_deps"}'),
          { path: 'task_id', message: /must not be "\." or "\.\."/ },
        ],
        [flagName('diagnostics'), Buffer.alloc(10 * 1024 * 1024, 0x20), { path: '(file)', message: /over the limit/ }],
        ...[245, 250, 255].map((n): [string, Buffer, { path: string; message: RegExp }] => [
          longName(n),
          Buffer.from(`{"n":${String(n)}}`),
          { path: '(name)', message: /no known handler/ },
        ]),
      ];
      for (const [name, bytes] of files) await dropFlag(inbox, name, bytes);
      // A name with a byte that is not UTF-8, placed by its bytes (no string can spell it).
      const badName = Buffer.concat([
        Buffer.from('supervisor_rollback_code_W1'),
        Buffer.from([0xff]),
        Buffer.from('_W1.flag'),
      ]);
      const badBytes = Buffer.from('{"task_id":"x","handler":"rollback_code"}');
      await writeFile(Buffer.concat([Buffer.from(`${inbox}/`), badName]), badBytes);
      // A folder named like a flag, with something inside.
      await mkdir(path.join(root, 'dir'));
      await writeFile(path.join(root, 'dir', 'inside.txt'), 'keep me');
      await rename(path.join(root, 'dir'), path.join(inbox, flagName('pause_watcher')));
      // A FIFO (reading it would block) and a symlink to a valid flag elsewhere.
      execFileSync('mkfifo', ['--', path.join(root, 'fifo')]);
      await rename(path.join(root, 'fifo'), path.join(inbox, flagName('restart_watcher')));
      const target = path.join(root, 'elsewhere.json');
      await writeFile(target, JSON.stringify({ task_id: `${id}_link`, handler: 'resume_watcher' }));
      await symlink(target, path.join(root, 'link'));
      await rename(path.join(root, 'link'), path.join(inbox, flagName('resume_watcher')));

      await waitFor('the inbox to empty', async () => ((await readdir(inbox)).length === 0 ? true : undefined), 60_000);
      const rejected = path.join(outbox, 'rejected');
      const errors = await Promise.all(
        (await readdir(rejected))
          .filter((f) => f.endsWith('.error.json'))
          .map(async (f) => JSON.parse(await readFile(path.join(rejected, f), 'utf8')) as ErrorFile),
      );
      expect(errors).toHaveLength(files.length + 4);
      const errorOf = (file: string): ErrorFile => {
        const found = errors.filter((e) => e.file === file);
        expect(found).toHaveLength(1);
        return found[0] as ErrorFile;
      };
      for (const [name, bytes, problem] of files) {
        const error = errorOf(name);
        expect(error.problems).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ path: problem.path, message: expect.stringMatching(problem.message) }),
          ]),
        );
        expect(sha(await readFile(path.join(rejected, error.rejected_as)))).toBe(sha(bytes));
        expect(Buffer.byteLength(`${error.rejected_as}.error.json`)).toBeLessThanOrEqual(255);
      }
      const utf8 = errorOf(badName.toString('utf8'));
      expect(utf8.file_name_hex).toBe(badName.toString('hex'));
      expect(utf8.problems).toEqual([
        expect.objectContaining({ path: '(name)', message: expect.stringMatching(/not valid UTF-8/) }),
      ]);
      expect(await readFile(path.join(rejected, utf8.rejected_as))).toEqual(badBytes);
      const folder = errorOf(flagName('pause_watcher'));
      expect(folder.problems).toEqual(
        expect.arrayContaining([expect.objectContaining({ message: 'is a directory, not a regular file' })]),
      );
      expect(await readFile(path.join(rejected, folder.rejected_as, 'inside.txt'), 'utf8')).toBe('keep me');
      const fifo = errorOf(flagName('restart_watcher'));
      expect(fifo.problems).toEqual(
        expect.arrayContaining([expect.objectContaining({ message: 'is a FIFO, not a regular file' })]),
      );
      expect((await lstat(path.join(rejected, fifo.rejected_as))).isFIFO()).toBe(true);
      const link = errorOf(flagName('resume_watcher'));
      expect(link.problems).toEqual(
        expect.arrayContaining([expect.objectContaining({ message: expect.stringMatching(/symbolic link/) })]),
      );
      expect(await readlink(path.join(rejected, link.rejected_as))).toBe(target);

      // Still alive: a valid flag under a name a hostile one had is started.
      await dropFlag(inbox, flagName('rollback_code'), {
        task_id: `${id}_ok`,
        handler: 'rollback_code',
        params: { commits_back: 2 },
      });
      await waitForJson(receiptPath(outbox, WORKER_ID, `${id}_ok`, 'accepted'));
      await ingest.idle();
      expect((await listWorkflowIds(engine.client)).filter((w) => w.includes(id))).toEqual([`${WORKER_ID}/${id}_ok`]);
      // Each rejected once (never retried), and no pass failed.
      expect(records.filter((r) => r.msg === 'flag rejected; nothing started')).toHaveLength(files.length + 4);
      expect(records.filter((r) => r.level === 50)).toEqual([]);
    } finally {
      await ingest.stop();
    }
  }, 120_000);

  it('a flag that fails locally stays and is logged once, and never blocks the flags behind it', async () => {
    const root = tmp();
    const config = testConfig(root);
    const { inbox, outbox } = config.paths;
    const id = `t_stuck_${String(Date.now())}`;
    // The receipt's name taken by a non-empty folder: writing the receipt fails after the start.
    const blocker = receiptPath(outbox, WORKER_ID, `${id}_first`, 'accepted');
    await mkdir(path.join(blocker, 'x'), { recursive: true });
    await dropFlag(inbox, flagName('rollback_code'), { task_id: `${id}_first`, handler: 'rollback_code' });
    await dropFlag(inbox, flagName('verify_db'), { task_id: `${id}_second`, handler: 'verify_db' });
    const { ingest, records } = await runIngest(engine.client, config);
    try {
      // rollback_code goes first (code tier) and fails; verify_db behind it is still started.
      await waitForJson(receiptPath(outbox, WORKER_ID, `${id}_second`, 'accepted'));
      for (let i = 0; i < 3; i += 1) await ingest.idle();
      expect(await readdir(inbox)).toEqual([flagName('rollback_code')]);
      const failures = records.filter((r) => r.level === 50);
      expect(failures).toEqual([
        expect.objectContaining({
          file: flagName('rollback_code'),
          msg: expect.stringMatching(/could not handle this flag/),
        }),
      ]);
      // Once the cause is gone it finishes, started exactly once (the ledger knows the start).
      await rm(blocker, { recursive: true });
      await waitForJson(receiptPath(outbox, WORKER_ID, `${id}_first`, 'accepted'));
      expect((await listWorkflowIds(engine.client)).filter((w) => w.includes(id)).sort()).toEqual([
        `${WORKER_ID}/${id}_first`,
        `${WORKER_ID}/${id}_second`,
      ]);
    } finally {
      await ingest.stop();
    }
  });

  it('with rejected/ on another file system: a file is copied over (bytes kept), a folder is left and reported once', async () => {
    const root = tmp();
    const other = await mkdtemp(path.join('/dev/shm', 'ingest-outbox-'));
    try {
      const config = Config.parse({ worker_id: WORKER_ID, paths: { nas_root: root, outbox: other } });
      const { inbox, outbox } = config.paths;
      const { ingest, records } = await runIngest(engine.client, config);
      try {
        await dropFlag(inbox, flagName('verify_db'), 'not json');
        await mkdir(path.join(root, 'dir'));
        await rename(path.join(root, 'dir'), path.join(inbox, flagName('pause_watcher')));
        const rejected = path.join(outbox, 'rejected');
        await waitFor(
          'the file to be rejected',
          async () => ((await readdir(inbox)).join() === flagName('pause_watcher') ? true : undefined),
          30_000,
        );
        expect(await readFile(path.join(rejected, flagName('verify_db')), 'utf8')).toBe('not json');
        // The error file is written first as for a move, then rewritten once the move failed: the log line
        // comes after both.
        const leftInInbox = () =>
          records.filter((r) => r.file === flagName('pause_watcher') && /left in the inbox/.test(String(r.msg)));
        await waitFor('the folder to be reported', () => (leftInInbox().length > 0 ? true : undefined), 30_000);
        const folder = JSON.parse(
          await readFile(path.join(rejected, `${flagName('pause_watcher')}.error.json`), 'utf8'),
        ) as { left_in_inbox?: boolean; rejected_as: string | null };
        expect(folder).toMatchObject({ left_in_inbox: true, rejected_as: null });
        for (let i = 0; i < 3; i += 1) await ingest.idle();
        expect((await lstat(path.join(inbox, flagName('pause_watcher')))).isDirectory()).toBe(true);
        expect(leftInInbox()).toHaveLength(1);
        expect((await readdir(rejected)).sort()).toEqual(
          [flagName('pause_watcher'), flagName('verify_db')]
            .map((n) => `${n}.error.json`)
            .concat(flagName('verify_db'))
            .sort(),
        );
      } finally {
        await ingest.stop();
      }
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
