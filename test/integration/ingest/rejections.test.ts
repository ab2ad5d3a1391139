import { readFile, readdir, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { signBody } from '../../../src/flags/index.js';
import { receiptPath } from '../../../src/nas/paths.js';
import { waitFor } from '../../helpers/process.js';
import { testConfig } from '../../helpers/config.js';
import {
  WORKER_ID,
  dropFlag,
  exists,
  flagName,
  listWorkflowIds,
  waitForJson,
  workflowExists,
  useIngestEnv,
} from './harness.js';

const { engine, tmp, runIngest } = useIngestEnv('ingest-reject-');

const KEY = 'correct horse';
let seq = 0;

interface Case {
  what: string;
  name?: string;
  /** The body as bytes/text, or a function of the case's task id. */
  body: (taskId: string) => unknown;
  problem: { path: string; message: RegExp };
  security?: Record<string, unknown>;
  ingest?: Record<string, unknown>;
}

const rollback = (taskId: string, params: unknown): unknown => ({ task_id: taskId, handler: 'rollback_code', params });

const cases: Case[] = [
  { what: 'not JSON', body: () => '{"task_id": "x", handler', problem: { path: '(file)', message: /is not JSON/ } },
  { what: 'empty', body: () => '', problem: { path: '(file)', message: /is empty/ } },
  {
    what: 'over the size cap',
    ingest: { max_flag_size: 256 },
    body: (t) => ({ task_id: t, handler: 'rollback_code', label: 'x'.repeat(300) }),
    problem: { path: '(file)', message: /over the limit of 256/ },
  },
  {
    what: 'unknown handler',
    name: 'supervisor_frobnicate_W1.flag',
    body: (t) => ({ task_id: t, handler: 'frobnicate' }),
    problem: { path: 'handler', message: /unknown handler "frobnicate"/ },
  },
  {
    what: 'handler mismatch',
    name: flagName('verify_db'),
    body: (t) => ({ task_id: t, handler: 'rollback_code' }),
    problem: { path: '(name)', message: /names handler verify_db but the body says rollback_code/ },
  },
  {
    what: 'a label of 101 characters',
    body: (t) => ({ task_id: t, handler: 'rollback_code', label: 'a'.repeat(101) }),
    problem: { path: 'label', message: /100/ },
  },
  {
    what: 'a label with ";"',
    body: (t) => ({ task_id: t, handler: 'rollback_code', label: 'AA; rm -rf' }),
    problem: { path: 'label', message: /letters, digits/ },
  },
  {
    what: 'commits_back 0',
    body: (t) => rollback(t, { commits_back: 0 }),
    problem: { path: 'params.commits_back', message: /1/ },
  },
  {
    what: 'commits_back 11',
    body: (t) => rollback(t, { commits_back: 11 }),
    problem: { path: 'params.commits_back', message: /10/ },
  },
  {
    what: 'commits_back "3"',
    body: (t) => rollback(t, { commits_back: '3' }),
    problem: { path: 'params.commits_back', message: /integer|number/ },
  },
  {
    what: 'commits_back 3.5',
    body: (t) => rollback(t, { commits_back: 3.5 }),
    problem: { path: 'params.commits_back', message: /integer/ },
  },
  {
    what: 'an unknown key',
    body: (t) => ({ task_id: t, handler: 'rollback_code', priority: 1 }),
    problem: { path: 'priority', message: /unknown key|not allowed|unrecognized/i },
  },
  {
    what: 'a __proto__ key',
    body: (t) => `{"task_id": "${t}", "handler": "rollback_code", "__proto__": {"admin": true}}`,
    problem: { path: '__proto__', message: /prototype poisoning/ },
  },
  {
    what: 'unsigned when signatures are required',
    security: { require_signature: true, hmac_key: KEY },
    body: (t) => rollback(t, {}),
    problem: { path: 'signature', message: /required|missing/i },
  },
  {
    what: 'a wrong signature',
    security: { require_signature: true, hmac_key: KEY },
    body: (t) => {
      const body = { task_id: t, handler: 'rollback_code', params: {} };
      return { ...body, signature: signBody(body, 'wrong key') };
    },
    problem: { path: 'signature', message: /does not match|wrong|invalid/i },
  },
];

describe('ingest: bad flags are rejected, never started', () => {
  it.each(cases)('$what', async (c) => {
    const root = tmp();
    const config = testConfig(root, { ingest: c.ingest ?? {}, security: c.security ?? {} });
    await runIngest(config);
    const taskId = `t_reject_${String(Date.now())}_${String(++seq)}`;
    const name = c.name ?? flagName('rollback_code');
    const body = c.body(taskId);
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    await dropFlag(config.paths.inbox, name, text);
    const rejected = path.join(config.paths.outbox, 'rejected', name);
    const error = await waitForJson<{
      problems: { path: string; message: string }[];
      file: string;
      worker_id: string | null;
    }>(`${rejected}.error.json`);
    expect(error.file).toBe(name);
    // A malformed name is the business of the worker whose id ends it (here W1).
    expect(error.worker_id).toBe(WORKER_ID);
    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: c.problem.path, message: expect.stringMatching(c.problem.message) }),
      ]),
    );
    expect(await readFile(rejected, 'utf8')).toBe(text);
    // The error file is written before the flag leaves the inbox (crash safety): wait for the move to finish.
    await waitFor('the inbox to empty', async () => (await readdir(config.paths.inbox)).length === 0);
    for (const worker of [WORKER_ID, 'W2'])
      expect(await workflowExists(engine.client, `${worker}/${taskId}`)).toBe(false);
    expect((await listWorkflowIds(engine.client)).filter((id) => id.includes(taskId))).toEqual([]);
    expect(await exists(receiptPath(config.paths.outbox, WORKER_ID, taskId, 'accepted'))).toBe(false);
  });

  it('a symlink is rejected as a link (not followed), its target untouched', async () => {
    const root = tmp();
    const config = testConfig(root);
    await runIngest(config);
    const target = path.join(root, 'elsewhere.json');
    const text = JSON.stringify({ task_id: `t_link_${String(++seq)}`, handler: 'rollback_code' });
    await writeFile(target, text);
    const link = path.join(root, '.link.tmp');
    await symlink(target, link);
    // Renamed into the inbox as writers do: rename moves the link itself, not its target.
    await rename(link, path.join(config.paths.inbox, flagName('rollback_code')));
    const rejected = path.join(config.paths.outbox, 'rejected', flagName('rollback_code'));
    const error = await waitForJson<{ problems: { path: string; message: string }[] }>(`${rejected}.error.json`);
    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '(file)', message: expect.stringMatching(/symbolic link/) }),
      ]),
    );
    expect(await readFile(target, 'utf8')).toBe(text);
    expect(await readdir(config.paths.inbox)).toEqual([]);
  });

  it('a second rejection under the same name never overwrites the first', async () => {
    const root = tmp();
    const config = testConfig(root);
    await runIngest(config);
    await dropFlag(config.paths.inbox, flagName('verify_db'), 'first');
    await waitForJson(path.join(config.paths.outbox, 'rejected', `${flagName('verify_db')}.error.json`));
    await dropFlag(config.paths.inbox, flagName('verify_db'), 'second');
    const second = path.join(config.paths.outbox, 'rejected', 'supervisor_verify_db_W1~2.flag');
    await waitForJson(`${second}.error.json`);
    expect(await readFile(path.join(config.paths.outbox, 'rejected', flagName('verify_db')), 'utf8')).toBe('first');
    expect(await readFile(second, 'utf8')).toBe('second');
  });
});
