import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { CliError } from '../../../src/cli/common.js';
import { registerFlagCommand } from '../../../src/cli/flag.js';
import { readFlagFile } from '../../../src/flags/parse.js';
import { useTempDir } from '../../helpers/tmp.js';

/** The command as main.ts will mount it: same global --config, same exitOverride. */
async function run(config: string, args: string[]): Promise<{ stdout: string; stderr: string; error?: unknown }> {
  const program = new Command('supervisor').option('-c, --config <file>').exitOverride();
  registerFlagCommand(program);
  for (const command of program.commands) command.exitOverride().configureOutput({ writeErr: () => undefined });
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await program.parseAsync(['--config', config, 'flag', ...args], { from: 'user' });
    return {
      stdout: stdout.mock.calls.map((c) => String(c[0])).join(''),
      stderr: stderr.mock.calls.map((c) => String(c[0])).join(''),
    };
  } catch (error) {
    return { stdout: stdout.mock.calls.map((c) => String(c[0])).join(''), stderr: '', error };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe('supervisor flag', () => {
  const tmp = useTempDir('flag-cli-');
  let config = '';
  let inbox = '';

  beforeEach(async () => {
    inbox = path.join(tmp(), 'nas', 'Worker_Inbox');
    await mkdir(inbox, { recursive: true });
    config = path.join(tmp(), 'supervisor.yaml');
    await writeFile(config, `worker_id: OrionMX\npaths:\n  nas_root: ${path.join(tmp(), 'nas')}\n`);
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('writes a valid flag, commits_back as the integer 3, and prints only the task id', async () => {
    const result = await run(config, [
      'rollback_code',
      '--param',
      'commits_back=3',
      '--label',
      'AA v1-2',
      '--requested-by',
      'ops',
    ]);
    expect(result.error).toBeUndefined();
    const taskId = result.stdout.trim();
    expect(taskId).toMatch(/^task_\d{8}_\d{6}_[0-9a-f]{8}$/);
    const file = path.join(inbox, 'supervisor_rollback_code_OrionMX.flag');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      task_id: taskId,
      handler: 'rollback_code',
      label: 'AA v1-2',
      params: { commits_back: 3 },
      requested_by: 'ops',
    });
    expect(result.stderr).toContain(file);
  });

  it('takes --task-id and --worker, and names the requester user@host by default', async () => {
    const result = await run(config, ['diagnostics', '--task-id', 'my.task-1', '--worker', 'Vega']);
    expect(result.stdout).toBe('my.task-1\n');
    const body = JSON.parse(await readFile(path.join(inbox, 'supervisor_diagnostics_Vega.flag'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(body).toMatchObject({ task_id: 'my.task-1', handler: 'diagnostics', params: {} });
    expect(body.requested_by).toMatch(/^.+@.+$/);
  });

  it('signs when the configuration has a key', async () => {
    await writeFile(
      config,
      `worker_id: OrionMX\npaths:\n  nas_root: ${path.join(tmp(), 'nas')}\nsecurity:\n  require_signature: true\n  hmac_key: s3cret\n`,
    );
    await run(config, ['verify_db', '--task-id', 't1']);
    const parsed = await readFlagFile(path.join(inbox, 'supervisor_verify_db_OrionMX.flag'), {
      maxSize: 65_536,
      workerIds: ['OrionMX'],
      requireSignature: true,
      hmacKey: 's3cret',
    });
    expect(parsed.ok && parsed.signature).toBe('valid');
  });

  it.each<[string, string[], RegExp]>([
    ['an unknown handler', ['format_disk'], /handler: unknown handler "format_disk"; expected one of/],
    [
      'a bad label',
      ['pause_watcher', '--label', 'a;b'],
      /label: may contain only letters, digits, spaces, hyphens and underscores/,
    ],
    [
      'a label of 101 characters',
      ['pause_watcher', '--label', 'x'.repeat(101)],
      /label: must be at most 100 characters, got 101/,
    ],
    [
      'commits_back=0',
      ['rollback_code', '--param', 'commits_back=0'],
      /params\.commits_back: must be an integer from 1 to 10, got 0/,
    ],
    [
      'commits_back=3.5',
      ['rollback_code', '--param', 'commits_back=3.5'],
      /params\.commits_back: must be an integer from 1 to 10, got 3\.5/,
    ],
    [
      'an unknown parameter',
      ['rollback_code', '--param', 'force=1'],
      /params\.force: unknown parameter \(rollback_code takes commits_back\)/,
    ],
    [
      'a parameter for a handler without any',
      ['pause_watcher', '--param', 'commits_back=1'],
      /params\.commits_back: unknown parameter \(pause_watcher takes none\)/,
    ],
    [
      'a parameter without =',
      ['rollback_code', '--param', 'commits_back', '--label', 'a;b'],
      /params: --param "commits_back" must be written key=value\n {2}label: may contain/,
    ],
    [
      'a parameter twice',
      ['rollback_code', '--param', 'commits_back=1', '--param', 'commits_back=2'],
      /params\.commits_back: is given twice/,
    ],
    ['__proto__ as parameter', ['rollback_code', '--param', '__proto__=1'], /params\.__proto__: unknown parameter/],
    ['a bad task id', ['verify_db', '--task-id', '../etc'], /task_id: must be 1-64 characters/],
    ['a bad worker id', ['verify_db', '--worker', 'a/b'], /\(name\): worker id "a\/b" must be/],
  ])('refuses %s with exit code 2 and writes nothing', async (_case, args, message) => {
    const result = await run(config, args);
    expect(result.error).toBeInstanceOf(CliError);
    expect((result.error as CliError).exitCode).toBe(2);
    expect((result.error as CliError).message).toMatch(/^invalid flag, nothing written:\n/);
    expect((result.error as CliError).message).toMatch(message);
    expect(result.stdout).toBe('');
    expect(await readdir(inbox)).toEqual([]);
  });

  it('refuses to replace a waiting flag (exit 1) and reports a missing inbox (exit 1)', async () => {
    await run(config, ['restart_watcher', '--task-id', 'first']);
    const second = await run(config, ['restart_watcher', '--task-id', 'second']);
    expect(second.error).toMatchObject({ exitCode: 1, message: expect.stringMatching(/already waiting in the inbox/) });
    expect(
      JSON.parse(await readFile(path.join(inbox, 'supervisor_restart_watcher_OrionMX.flag'), 'utf8')),
    ).toMatchObject({ task_id: 'first' });
    await writeFile(config, `worker_id: OrionMX\npaths:\n  nas_root: ${path.join(tmp(), 'elsewhere')}\n`);
    const missing = await run(config, ['restart_watcher']);
    expect(missing.error).toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(/inbox .*elsewhere\/Worker_Inbox does not exist/),
    });
  });
});
