/**
 * The hostile inputs of issue 17, one entry per kind: how each is placed in the inbox and the problem its
 * rejection must name. Bodies are signed with the suite's key unless the case is about the signature, so
 * the problem named is the case's own; `direct` bodies are also started straight through Temporal.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { signBody } from '../../../src/flags/index.js';
import { dropFlag, flagName } from './harness.js';

export const KEY = 'hostile-suite-key-0123456789';

export interface Placed {
  name: string;
  /** What the rejected copy must hold, byte for byte (regular files). */
  bytes?: Buffer;
  kind?: 'fifo' | 'symlink' | 'directory';
}

export interface HostileCase {
  what: string;
  place(inbox: string, scratch: string, workerId: string): Promise<Placed>;
  /** Matched against each `path: message` of the rejection. */
  problem: RegExp;
  /** The body, for a start straight through Temporal (`handler` is its workflow type). */
  direct?: { handler: string; body: unknown };
  /** Another worker's flag: left in the inbox untouched, not rejected. */
  foreign?: true;
}

type Body = Record<string, unknown>;

const signed = (body: Body): Body => ({ ...body, signature: signBody(body, KEY) });

/** A JSON body dropped under `handler`'s flag name (signed unless `sign` is false). */
function json(what: string, handler: string, body: Body, problem: RegExp, sign = true, direct = true): HostileCase {
  const final = sign ? signed(body) : body;
  return {
    what,
    problem,
    ...(direct ? { direct: { handler, body } } : {}),
    place: async (inbox, _scratch, workerId) => {
      const bytes = Buffer.from(JSON.stringify(final));
      await dropFlag(inbox, flagName(handler, workerId), bytes);
      return { name: flagName(handler, workerId), bytes };
    },
  };
}

/** Raw bytes under a name (default: verify_db's flag name). */
function raw(what: string, bytes: Buffer | string, problem: RegExp, name?: (workerId: string) => string): HostileCase {
  return {
    what,
    problem,
    place: async (inbox, _scratch, workerId) => {
      const file = name?.(workerId) ?? flagName('verify_db', workerId);
      const buffer = Buffer.from(bytes);
      await dropFlag(inbox, file, buffer);
      return { name: file, bytes: buffer };
    },
  };
}

const task = (id: unknown, extra: Body = {}): Body => ({ task_id: id, handler: 'verify_db', ...extra });
const rollback = (commitsBack: unknown): Body => ({
  task_id: 'h_cb',
  handler: 'rollback_code',
  params: { commits_back: commitsBack },
});
const COMMITS = /params\.commits_back: must be an integer from 1 to 10/;
const TASK_ID = /^task_id: must/;

export function hostileCases(marker: string): HostileCase[] {
  const shell = `$(touch ${marker})`;
  return [
    json('traversal task id', 'verify_db', task('../../etc/passwd'), TASK_ID),
    json('absolute path task id', 'verify_db', task('/etc/passwd'), TASK_ID),
    json('NUL in the task id', 'verify_db', task('ok\u0000id'), TASK_ID),
    json('newline in the task id', 'verify_db', task('ok\nid'), TASK_ID),
    json('homoglyph task id (Cyrillic a)', 'verify_db', task('t\u0430sk_1'), TASK_ID),
    json('over-long task id (65)', 'verify_db', task('x'.repeat(65)), TASK_ID),
    json('empty task id', 'verify_db', task(''), TASK_ID),
    json('task id "."', 'verify_db', task('.'), /task_id: must not be "\."/),
    json('task id ".."', 'verify_db', task('..'), /task_id: must not be "\."/),
    json('task id as a number', 'verify_db', task(42), /task_id: must be a string/),
    json('task id with a shell substitution', 'verify_db', task(shell), TASK_ID),
    json('option injection in the task id', 'verify_db', task('--upload-pack=touch'), TASK_ID),
    json('task id "-rf"', 'verify_db', task('-rf'), /task_id: must not start with "-"/),
    json(
      'over-long label (101)',
      'verify_db',
      task('h_label1', { label: 'a'.repeat(101) }),
      /label: must be at most 100/,
    ),
    json(
      'label with shell metacharacters',
      'verify_db',
      task('h_label2', { label: `a; ${shell} | b && c` }),
      /label: may contain only/,
    ),
    json('label "--force"', 'verify_db', task('h_label3', { label: '--force' }), /label: must not start with "-"/),
    json('label as an object', 'verify_db', task('h_label4', { label: { a: 1 } }), /label: must be a string or null/),
    json(
      'requested_by with a control character',
      'verify_db',
      task('h_req', { requested_by: 'eve\u001b[2J' }),
      /requested_by: must not contain control/,
    ),
    json('handler option injection', 'verify_db', task('h_hand', { handler: '--exec=sh' }), /handler:/),
    json(
      'handler of the name differs from the body',
      'pause_watcher',
      task('h_mismatch'),
      /\(name\): names handler pause_watcher/,
      true,
      false,
    ),
    json('unknown top-level key', 'verify_db', task('h_key', { priority: 1 }), /priority: unknown key/),
    raw(
      '__proto__ at the top level',
      JSON.stringify(signed(task('h_proto1'))).replace('{', '{"__proto__":{"admin":true},'),
      /__proto__: .*prototype/,
    ),
    raw(
      '__proto__ in params',
      '{"task_id":"h_proto2","handler":"verify_db","params":{"__proto__":{"x":1}}}',
      /__proto__: .*prototype/,
    ),
    raw(
      '__proto__ two levels down',
      '{"task_id":"h_proto3","handler":"rollback_code","params":{"commits_back":{"__proto__":1}}}',
      /__proto__|commits_back/,
      (w) => flagName('rollback_code', w),
    ),
    json(
      'constructor at the top level',
      'verify_db',
      task('h_ctor1', { constructor: { prototype: { admin: true } } }),
      /constructor/,
    ),
    json(
      'constructor in params',
      'verify_db',
      task('h_ctor2', { params: { constructor: { prototype: {} } } }),
      /params\.constructor/,
    ),
    json('commits_back 0', 'rollback_code', rollback(0), COMMITS),
    json('commits_back 11', 'rollback_code', rollback(11), COMMITS),
    json('commits_back -1', 'rollback_code', rollback(-1), COMMITS),
    json('commits_back 3.5', 'rollback_code', rollback(3.5), COMMITS),
    json('commits_back "3"', 'rollback_code', rollback('3'), COMMITS),
    json('commits_back null', 'rollback_code', rollback(null), COMMITS),
    json('commits_back true', 'rollback_code', rollback(true), COMMITS),
    json('commits_back []', 'rollback_code', rollback([]), COMMITS),
    json('commits_back 2^53+1', 'rollback_code', rollback(2 ** 53 + 2), COMMITS),
    raw(
      'commits_back 1e309 (Infinity)',
      '{"task_id":"h_inf","handler":"rollback_code","params":{"commits_back":1e309}}',
      /commits_back/,
      (w) => flagName('rollback_code', w),
    ),
    json(
      'a parameter verify_db does not take',
      'verify_db',
      task('h_param', { params: { commits_back: 1 } }),
      /params\.commits_back: unknown parameter/,
    ),
    raw('not JSON', '{"task_id": "x", handler', /\(file\): is not JSON/),
    raw('torn JSON (cut mid-write)', JSON.stringify(signed(task('h_torn'))).slice(0, 25), /\(file\): is not JSON/),
    raw('empty file', '', /\(file\): is empty/),
    raw(
      'a BOM before broken JSON',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"task_id":')]),
      /\(file\): is not JSON/,
    ),
    raw(
      'two BOMs',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), Buffer.from('{}')]),
      /\(file\): is not JSON/,
    ),
    raw('duplicate key', '{"task_id":"h_dup","handler":"verify_db","task_id":"other"}', /task_id: .*given twice/),
    raw(
      'deeply nested JSON',
      `{"task_id":"h_deep","handler":"verify_db","params":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`,
      /too deeply nested/,
    ),
    raw('not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /\(file\): is not valid UTF-8/),
    raw('a JSON array', '[1,2,3]', /must be a JSON object/),
    raw('JSON null', 'null', /must be a JSON object/),
    raw('a 10 MB file', Buffer.alloc(10 * 1024 * 1024, 0x20), /\(file\): is \d+ bytes, over the limit/),
    raw('unknown handler in the name', '{}', /\(name\): .*no known handler/, (w) => `supervisor_frobnicate_${w}.flag`),
    raw('name of 255 characters', '{}', /\(name\)/, (w) => `supervisor_${'x'.repeat(255 - 17 - w.length)}_${w}.flag`),
    json('unsigned, signatures required', 'verify_db', task('h_unsigned'), /signature: is required/, false, false),
    json(
      'a wrong HMAC',
      'verify_db',
      { ...task('h_badsig'), signature: 'ab'.repeat(32) },
      /signature: does not match/,
      false,
      false,
    ),
    json(
      'an HMAC over other bytes',
      'verify_db',
      { ...task('h_othersig'), signature: signBody(task('h_other'), KEY) },
      /signature: does not match/,
      false,
      false,
    ),
    json(
      'an HMAC with another key',
      'verify_db',
      { ...task('h_keysig'), signature: signBody(task('h_keysig'), 'not the key') },
      /signature: does not match/,
      false,
      false,
    ),
    json(
      'a signature that is not hex',
      'verify_db',
      { ...task('h_hexsig'), signature: 'zz' },
      /signature: must be 64 hex digits/,
      false,
      false,
    ),
    special('a symlink to a valid flag', /symbolic link/, async (inbox, scratch, workerId) => {
      const target = path.join(scratch, 'elsewhere.json');
      await writeFile(target, JSON.stringify(signed(task('h_link'))));
      await symlink(target, path.join(scratch, 'link'));
      await rename(path.join(scratch, 'link'), path.join(inbox, flagName('verify_db', workerId)));
      return { name: flagName('verify_db', workerId), kind: 'symlink' };
    }),
    special('a FIFO', /is a FIFO, not a regular file/, async (inbox, scratch, workerId) => {
      execFileSync('mkfifo', ['--', path.join(scratch, 'fifo')]);
      await rename(path.join(scratch, 'fifo'), path.join(inbox, flagName('verify_db', workerId)));
      return { name: flagName('verify_db', workerId), kind: 'fifo' };
    }),
    special('a directory', /is a directory, not a regular file/, async (inbox, scratch, workerId) => {
      await mkdir(path.join(scratch, 'dir'));
      await writeFile(path.join(scratch, 'dir', 'inside.txt'), 'keep me');
      await rename(path.join(scratch, 'dir'), path.join(inbox, flagName('verify_db', workerId)));
      return { name: flagName('verify_db', workerId), kind: 'directory' };
    }),
    {
      what: "another worker's flag",
      problem: /./,
      foreign: true,
      place: async (inbox) => {
        const bytes = Buffer.from(JSON.stringify(signed(task('h_foreign'))));
        await dropFlag(inbox, flagName('verify_db', 'SomeOtherHost'), bytes);
        return { name: flagName('verify_db', 'SomeOtherHost'), bytes };
      },
    },
  ];
}

function special(what: string, problem: RegExp, place: HostileCase['place']): HostileCase {
  return { what, problem, place };
}
