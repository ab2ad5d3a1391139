/**
 * The operator's actions through the built CLI (`node dist/cli/main.js`): `cancel`, the
 * `pause|resume|restart` shortcuts and `run-once`, against the embedded engine with the fake watcher
 * and a real git checkout. `supervisor start` (or run-once itself) runs engine, worker and keep-alive.
 */
import { afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { Config } from '../../src/config/schema.js';
import type { ResultFile } from '../../src/contract/handlers.js';
import { auditFileOf, pauseFlagPath, pidFilePath, resultFilePath, taskLogPath } from '../../src/nas/paths.js';
import { fakeWatcherArgs } from '../helpers/fake-watcher.js';
import { isolateGitEnv, makeGitFixture } from '../helpers/git.js';
import type { GitFixture } from '../helpers/git.js';
import { isProcessAlive, waitFor } from '../helpers/process.js';
import { useTempDir } from '../helpers/tmp.js';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'dist/cli/main.js');
const operator = `${userInfo().username}@${hostname()}`;

/** The newest mtime of any file under `dir`. */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first`);
  if (newest(path.join(root, 'src')) > statSync(cli).mtimeMs)
    throw new Error(`${cli} is older than src/: run "npm run build" so this tests the current code`);
  isolateGitEnv();
});

interface AuditRow {
  task_id: string;
  action: string;
  actor: string | null;
  details: Record<string, unknown>;
}

// Each test runs a whole `supervisor start` or `run-once` and several CLI calls (each a tsx start): seconds on an
// idle machine, over a minute on two busy cores. An upper bound for a hang, not a speed.
jest.setTimeout(180_000);

describe('operator actions through the CLI', () => {
  const tmp = useTempDir('e2e-operator-');
  let running: ResultPromise | undefined;
  let config: Config;
  let file: string;
  let repo: GitFixture;

  afterEach(async () => {
    if (running !== undefined) {
      running.kill('SIGTERM');
      await running;
      running = undefined;
    }
    // The watcher outlives the supervisor by design: stop its process group.
    const pid = existsSync(pidFilePath(config))
      ? Number(/\d+/.exec(readFileSync(pidFilePath(config), 'utf8'))?.[0])
      : 0;
    if (pid > 0 && (await isProcessAlive(pid))) process.kill(-pid, 'SIGKILL');
  });

  /** A config on a fresh NAS, the fake watcher and a git checkout; `deps` is the install's node script. */
  async function setUp(deps = 'process.exit(0)'): Promise<void> {
    repo = await makeGitFixture(tmp());
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
      repo: { dir: repo.work, deps_install: { command: process.execPath, args: ['-e', deps], timeout: '5m' } },
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
    if (!existsSync(pidFilePath(config))) return undefined;
    const pid = Number(/\d+/.exec(readFileSync(pidFilePath(config), 'utf8'))?.[0]);
    return pid > 0 && (await isProcessAlive(pid)) ? pid : undefined;
  }

  /** `supervisor start` until it says it runs; returns the engine's address; the keep-alive has started the watcher. */
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
  const audit = (): AuditRow[] =>
    readFileSync(auditFileOf(config.paths.logs), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditRow);

  it('cancel of a running update_code_deps puts the code back, starts the watcher, names the canceller; twice is fine', async () => {
    await setUp('setTimeout(() => {}, 120000)');
    const address = await startSupervisor();
    const before = await watcherPid();
    const recorded = await repo.head(repo.work);
    await repo.pushUpstream('slow deps', { 'requirements.txt': 'slow\n' });
    const flag = await supervisor(['flag', 'update_code_deps', '--label', 'slow deps']);
    expect(flag.exitCode).toBe(0);
    const taskId = flag.stdout.trim();
    await waitFor('the deps install to start', () => existsSync(taskLogPath(config, taskId)), 60_000);

    const cancel = await supervisor(['cancel', taskId, '--reason', 'too slow', '--address', address]);
    expect(cancel.stderr).toBe('');
    expect(cancel.exitCode).toBe(0);
    expect(cancel.stdout).toBe(`E1/${taskId} cancelled by ${operator} (too slow)\nresult: failed: cancelled`);
    expect(await repo.head(repo.work)).toBe(recorded);
    expect(result(taskId)).toMatchObject({
      success: false,
      error: 'cancelled',
      label: 'slow deps',
      details: {
        cancelled_by: operator,
        cancel_reason: 'too slow',
        compensated: true,
        final_commit: recorded,
        watcher_started: true,
      },
    });
    expect(audit().find((row) => row.task_id === taskId)).toMatchObject({
      action: 'cancelled',
      details: { cancelled_by: operator, cancel_reason: 'too slow', error: 'cancelled' },
    });
    // The update stopped the watcher; the compensation started a new one.
    expect(await waitFor('the watcher started again', watcherPid, 30_000)).not.toBe(before);

    const again = await supervisor(['cancel', taskId, '--address', address]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toBe(`E1/${taskId} was already cancelled by ${operator} (too slow); nothing to do`);
    const unknown = await supervisor(['cancel', 'task_nope', '--address', address]);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('no task E1/task_nope in this namespace');
    const bad = await supervisor(['cancel', '../x', '--address', address]);
    expect(bad.exitCode).toBe(2);
  });

  it('pause, resume and restart --wait do what they say to the watcher; a bad label starts nothing', async () => {
    await setUp();
    const address = await startSupervisor();
    const first = await watcherPid();

    const pause = await supervisor(['pause', '--wait', '--label', 'e2e pause', '--address', address]);
    expect(pause.exitCode).toBe(0);
    expect(pause.stdout).toMatch(/^task_\S+ pause_watcher succeeded\n/);
    expect(await isProcessAlive(first ?? 0)).toBe(false);
    expect(JSON.parse(readFileSync(pauseFlagPath(config), 'utf8'))).toMatchObject({ paused_by: operator });

    const resume = await supervisor(['resume', '--wait', '--address', address]);
    expect(resume.exitCode).toBe(0);
    expect(resume.stdout).toMatch(/^task_\S+ resume_watcher succeeded\n/);
    expect(existsSync(pauseFlagPath(config))).toBe(false);
    const second = await watcherPid();
    expect(second).toBeDefined();

    const restart = await supervisor(['restart', '--wait', '--json', '--address', address]);
    expect(restart.exitCode).toBe(0);
    const printed = JSON.parse(restart.stdout) as { task_id: string; result: ResultFile };
    expect(printed.result).toMatchObject({ success: true, details: { old_pids: [second] } });
    const third = printed.result.details.pid as number;
    expect(third).not.toBe(second);
    expect(await isProcessAlive(third)).toBe(true);
    expect(result(printed.task_id)).toMatchObject({
      success: true,
      requested_by: operator,
      handler: 'restart_watcher',
    });
    expect(audit().find((row) => row.task_id === printed.task_id)).toMatchObject({
      action: 'completed',
      actor: operator,
    });

    const bad = await supervisor(['pause', '--label', 'no/slashes', '--address', address]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('label');
    expect(bad.stderr).toContain('nothing started');
    expect(await watcherPid()).toBe(third);
  });

  it('run-once works through a backlog of flags and exits 0; a failing handler makes it exit 1', async () => {
    await setUp();
    // The first run on a new host: nothing waits, and the keep-alive (running only while run-once does) starts the watcher.
    const empty = await supervisor(['run-once', '--timeout', '5m']);
    expect(empty.exitCode).toBe(0);
    expect(empty.stdout).toBe('no flags waiting\nhealth: ok (watcher running)\nrun-once: all well');
    expect(await watcherPid()).toBeDefined();

    for (const handler of ['restart_watcher', 'diagnostics'])
      expect((await supervisor(['flag', handler])).exitCode).toBe(0);
    expect(readdirSync(config.paths.inbox)).toHaveLength(2);

    const once = await supervisor(['run-once', '--timeout', '5m', '--json']);
    expect(once.exitCode).toBe(0);
    const report = JSON.parse(once.stdout) as {
      ok: boolean;
      handlers: { handler: string; success: boolean; task_id: string }[];
      health: { success: boolean; watcher_state: string };
    };
    expect(report.ok).toBe(true);
    expect(report.handlers.map((h) => [h.handler, h.success]).sort()).toEqual([
      ['diagnostics', true],
      ['restart_watcher', true],
    ]);
    expect(report.health).toMatchObject({ success: true, watcher_state: 'running' });
    expect(readdirSync(config.paths.inbox)).toEqual([]);
    for (const h of report.handlers) expect(result(h.task_id).success).toBe(true);

    // No database configured: verify_db fails, and run-once says so with exit 1.
    expect((await supervisor(['flag', 'verify_db'])).exitCode).toBe(0);
    const failing = await supervisor(['run-once', '--timeout', '5m']);
    expect(failing.exitCode).toBe(1);
    expect(failing.stdout).toMatch(/verify_db {2}failed: /);
    expect(failing.stderr).toContain('run-once: not all well');

    const usage = await supervisor(['run-once', '--timeout', 'soon']);
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toContain('--timeout');
  });
});
