/**
 * Approvals through the built CLI (`node dist/cli/main.js`, issue 14): `supervisor start` with
 * `approvals.handlers.restart_watcher` and deciders alice and bob; `supervisor flag` asks as carol;
 * `approvals` lists the request, `approve` / `reject` decide it, and every refusal exits with its reason.
 */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { Config } from '../../src/config/schema.js';
import type { ResultFile } from '../../src/contract/handlers.js';
import type { ApprovalRow } from '../../src/operator/approvals.js';
import { pidFilePath, resultFilePath } from '../../src/nas/paths.js';
import { assertFreshDist, distMain as cli } from '../helpers/dist.js';
import { fakeWatcherArgs } from '../helpers/fake-watcher.js';
import { isProcessAlive, waitFor } from '../helpers/process.js';
import { useTempDir } from '../helpers/tmp.js';

beforeAll(() => {
  assertFreshDist();
});

describe('approvals through the CLI', () => {
  const tmp = useTempDir('e2e-approvals-');
  let running: ResultPromise | undefined;
  let config: Config;
  let file: string;

  afterEach(async () => {
    if (running !== undefined) {
      running.kill('SIGTERM');
      await running;
      running = undefined;
    }
    // The watcher outlives the supervisor by design: stop its process group.
    const pid = await watcherPid();
    if (pid !== undefined) process.kill(-pid, 'SIGKILL');
  });

  function setUp(expires: string): void {
    const raw = {
      worker_id: 'E1',
      paths: { nas_root: path.join(tmp(), 'nas') },
      temporal: { embedded: { port: 0, db: path.join(tmp(), 'temporal.db') } },
      http: { enabled: false },
      logging: { file: path.join(tmp(), 'supervisor.log') },
      watcher: {
        command: process.execPath,
        args: fakeWatcherArgs({
          variant: 'well-behaved',
          heartbeatFile: path.join(tmp(), 'nas/00_STATE/watcher_heartbeat_E1.json'),
          intervalMs: 50,
        }),
        cwd: tmp(),
        stop_timeout: '2s',
      },
      approvals: { handlers: { restart_watcher: { expires } }, deciders: ['alice', 'bob'] },
    };
    file = path.join(tmp(), 'supervisor.json');
    writeFileSync(file, JSON.stringify(raw));
    config = Config.parse(raw);
    for (const folder of Object.values(config.paths)) mkdirSync(folder, { recursive: true });
  }

  function supervisor(args: string[]) {
    return execa(process.execPath, [cli, '--config', file, ...args], {
      cwd: tmp(),
      reject: false,
      env: { SUPERVISOR_CONFIG: '' },
    });
  }

  async function watcherPid(): Promise<number | undefined> {
    if (config === undefined || !existsSync(pidFilePath(config))) return undefined;
    const pid = Number(/\d+/.exec(readFileSync(pidFilePath(config), 'utf8'))?.[0]);
    return pid > 0 && (await isProcessAlive(pid)) ? pid : undefined;
  }

  async function startSupervisor(): Promise<string> {
    const child = supervisor(['start']);
    running = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const address = await waitFor(
      'supervisor start to run',
      () => {
        if (child.exitCode !== null) throw new Error(`supervisor start exited:\n${stderr}`);
        return stderr.includes('supervisor running') && /engine listening \{"address":"([^"]+)"/.exec(stderr)?.[1];
      },
      60_000,
    );
    await waitFor('the watcher', watcherPid, 30_000);
    return address;
  }

  const result = (taskId: string): ResultFile =>
    JSON.parse(readFileSync(resultFilePath(config, taskId), 'utf8')) as ResultFile;

  async function rows(address: string, ...extra: string[]): Promise<ApprovalRow[]> {
    const listed = await supervisor(['approvals', '--json', '--address', address, ...extra]);
    expect(listed.exitCode).toBe(0);
    return JSON.parse(listed.stdout) as ApprovalRow[];
  }

  /** `supervisor flag restart_watcher` as `by` (carol), once its request is listed as pending. */
  async function requestRestart(address: string, taskId: string, by = 'carol'): Promise<ApprovalRow> {
    const flag = await supervisor(['flag', 'restart_watcher', '--task-id', taskId, '--requested-by', by]);
    expect(flag.exitCode).toBe(0);
    return await waitFor(
      `${taskId} pending`,
      async () => (await rows(address)).find((row) => row.task_id === taskId),
      30_000,
      200,
    );
  }

  it('approvals lists a request; approve runs it once; reject ends one; refusals exit 1, bad input 2', async () => {
    setUp('10m');
    const address = await startSupervisor();
    const before = await watcherPid();

    const row = await requestRestart(address, 'r1');
    expect(row).toMatchObject({
      status: 'pending',
      handler: 'restart_watcher',
      requested_by: 'carol',
      worker_id: 'E1',
      decision: null,
      request: { summary: expect.stringContaining('stop the watcher and start it again') },
    });
    expect(row.expires_in_ms).toBeGreaterThan(0);
    const table = await supervisor(['approvals', '--address', address]);
    expect(table.exitCode).toBe(0);
    const [header, line] = table.stdout.split('\n');
    expect(header).toMatch(/^TASK\s+HANDLER\s+LABEL\s+REQUESTED BY\s+AGE\s+EXPIRES IN\s+STATUS\s+WILL DO$/);
    expect(line).toMatch(/^r1\s+restart_watcher\s+-\s+carol\s+\S+\s+9m\S*\s+pending\s+stop the watcher/);

    const self = await supervisor(['approve', 'r1', '--by', 'carol', '--address', address]);
    expect(self.exitCode).toBe(1);
    expect(self.stderr).toContain('carol may not decide: approvals.deciders lists alice, bob');
    const stranger = await supervisor(['approve', 'r1', '--by', 'mallory', '--address', address]);
    expect(stranger.exitCode).toBe(1);
    expect(stranger.stderr).toContain('mallory may not decide: approvals.deciders lists alice, bob');

    const approve = await supervisor(['approve', 'r1', '--by', 'alice', '--comment', 'ok', '--address', address]);
    expect(approve.stderr).toBe('');
    expect(approve.exitCode).toBe(0);
    expect(approve.stdout).toMatch(
      /^task r1 approved by alice at \S+\nchecked against the live state: stop the watcher and start it again/,
    );
    const again = await supervisor(['approve', 'r1', '--by', 'bob', '--address', address]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/already (approved by alice|ended)/);
    await waitFor('r1 result', () => existsSync(resultFilePath(config, 'r1')), 30_000);
    expect(result('r1')).toMatchObject({ success: true });
    const after = await waitFor('the new watcher', watcherPid, 30_000);
    expect(after).not.toBe(before);

    await requestRestart(address, 'r2', 'alice');
    const own = await supervisor(['approve', 'r2', '--by', 'alice', '--address', address]);
    expect(own.exitCode).toBe(1);
    expect(own.stderr).toContain('alice requested this task and may not approve it too');
    const reject = await supervisor([
      'reject',
      'r2',
      '--by',
      'bob',
      '--comment',
      'not tonight',
      '--json',
      '--address',
      address,
    ]);
    expect(reject.exitCode).toBe(0);
    expect(JSON.parse(reject.stdout)).toMatchObject({ task_id: 'r2', decision: 'rejected', by: 'bob' });
    await waitFor('r2 result', () => existsSync(resultFilePath(config, 'r2')), 30_000);
    expect(result('r2')).toMatchObject({ success: false, error: 'rejected by bob: not tonight; nothing was done' });
    expect(await watcherPid()).toBe(after);

    // A closed run's approval comes from its result: the rejected one carries it (an approved run that
    // completed does not, yet: see run-handler.ts).
    const all = await rows(address, '--all');
    expect(all.find((r) => r.task_id === 'r2')).toMatchObject({
      status: 'rejected',
      running: false,
      decision: { by: 'bob', comment: 'not tonight', via: 'cli' },
    });
    expect((await supervisor(['approvals', '--address', address])).stdout).toBe('no pending approvals');

    const unknown = await supervisor(['approve', 'nosuch', '--by', 'alice', '--address', address]);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('no task nosuch on worker E1');
    // Bad input is refused before any connection: no address needed to see it.
    for (const args of [
      ['approve', '../x', '--by', 'alice'],
      ['reject', 'r3', '--by', 'alice', '--comment', 'x'.repeat(501)],
      ['approve', 'r3', '--by', 'al\u0007ice'],
      ['approvals', '--worker', 'E1', '--all-workers'],
    ]) {
      const bad = await supervisor([...args, '--address', '127.0.0.1:1']);
      expect([args[0], bad.exitCode]).toEqual([args[0], 2]);
    }
  }, 180_000);

  it('a request nobody decides expires: the task ends unexecuted and --all lists it as expired', async () => {
    setUp('3s');
    const address = await startSupervisor();
    const before = await watcherPid();
    // Not waited for as pending: 3 s may pass before a poll sees it.
    const flag = await supervisor(['flag', 'restart_watcher', '--task-id', 'e1', '--requested-by', 'carol']);
    expect(flag.exitCode).toBe(0);
    await waitFor('e1 result', () => existsSync(resultFilePath(config, 'e1')), 30_000);
    expect(result('e1')).toMatchObject({
      success: false,
      details: { executed: false, approval: { status: 'expired' } },
    });
    expect(await watcherPid()).toBe(before);
    const all = await rows(address, '--all');
    expect(all).toMatchObject([{ task_id: 'e1', status: 'expired', expires_in_ms: null, decision: null }]);
    const late = await supervisor(['approve', 'e1', '--by', 'alice', '--address', address]);
    expect(late.exitCode).toBe(1);
    expect(late.stderr).toContain('already ended');
  });

  it('run-once leaves a task that waits for approval waiting (exit 0); the next supervisor applies the decision', async () => {
    setUp('10m');
    // A first pass starts the watcher (it outlives run-once) and judges it after its first beat: the request below
    // sees it running.
    expect((await supervisor(['run-once', '--timeout', '2m'])).exitCode).toBe(0);
    const before = await waitFor('the watcher', watcherPid, 30_000);
    const flag = await supervisor(['flag', 'restart_watcher', '--task-id', 'ro1', '--requested-by', 'carol']);
    expect(flag.exitCode).toBe(0);
    const once = await supervisor(['run-once', '--timeout', '2m']);
    expect(once.stdout).toMatch(/^ro1 {2}restart_watcher {2}awaiting approval until \S+Z$/m);
    expect(once.stdout).toContain('run-once: all well');
    expect(once.exitCode).toBe(0);
    expect(existsSync(resultFilePath(config, 'ro1'))).toBe(false);

    // The request survived run-once's engine and worker: `start` finds it pending, and an approval runs it.
    const address = await startSupervisor();
    expect(await watcherPid()).toBe(before);
    const decided = await supervisor(['approve', 'ro1', '--by', 'alice', '--address', address]);
    expect(decided.stderr).toBe('');
    expect(decided.exitCode).toBe(0);
    await waitFor('ro1 result', () => existsSync(resultFilePath(config, 'ro1')), 60_000);
    expect(result('ro1')).toMatchObject({ success: true, details: { old_pids: [before] } });
  });
});
