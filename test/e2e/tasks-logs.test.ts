/**
 * `supervisor tasks` and `supervisor logs` through the built CLI (dist), against `supervisor start` with the
 * embedded engine, the fake watcher and a real git checkout whose dependency install waits for a gate
 * file: "fail" makes it fail (the update compensates), "ok" lets it succeed, no file keeps it running.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { FAKE_WATCHER_PATH } from '../helpers/fake-watcher.js';
import { GIT_ENV, makeGitFixture } from '../helpers/git.js';
import type { GitFixture } from '../helpers/git.js';
import { waitFor } from '../helpers/process.js';
import { assertFreshDist, distMain } from '../helpers/dist.js';
import { makeTempDir } from '../helpers/tmp.js';
import type { TempDir } from '../helpers/tmp.js';

interface Run {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

describe('supervisor tasks and logs', () => {
  let temp: TempDir;
  let repo: GitFixture;
  let config: string;
  let address: string;
  let supervisor: ResultPromise;
  const workerId = 'tl1';
  let gate: string;
  let outbox: string;
  let failedTask: string;
  let okTask: string;

  const cli = (args: string[]): ResultPromise =>
    execa(process.execPath, [distMain, '--config', config, ...args], {
      cwd: temp.path,
      reject: false,
      env: { SUPERVISOR_CONFIG: '', ...GIT_ENV },
      extendEnv: true,
    });
  const run = async (args: string[]): Promise<Run> => {
    const { exitCode, stdout, stderr } = await cli(args);
    return { exitCode, stdout: String(stdout), stderr: String(stderr) };
  };
  const query = (args: string[]): Promise<Run> => run([...args, '--address', address]);
  const resultOf = (taskId: string): string => path.join(outbox, workerId, `${taskId}.result.json`);

  async function flag(handler: string, label: string): Promise<string> {
    const sent = await run(['flag', handler, '--label', label, '--requested-by', 'ops']);
    expect(sent.exitCode).toBe(0);
    return sent.stdout.trim();
  }

  beforeAll(async () => {
    assertFreshDist();
    temp = await makeTempDir('tasks-logs-');
    repo = await makeGitFixture(temp.path);
    const nas = path.join(temp.path, 'nas');
    gate = path.join(temp.path, 'deps-gate');
    outbox = path.join(nas, 'Worker_Outbox');
    // Polls for the gate inside the install; the tests themselves wait on events only.
    const install = `const fs = require('node:fs'); const gate = ${JSON.stringify(gate)};
      (function wait() { if (!fs.existsSync(gate)) return setTimeout(wait, 50);
        process.exit(fs.readFileSync(gate, 'utf8').trim() === 'ok' ? 0 : 3); })();`;
    config = path.join(temp.path, 'supervisor.yaml');
    // JSON is YAML.
    writeFileSync(
      config,
      JSON.stringify({
        worker_id: workerId,
        paths: { nas_root: nas },
        temporal: { embedded: { port: 0, db: ':memory:' } },
        http: { port: 0 },
        watcher: {
          command: process.execPath,
          args: [FAKE_WATCHER_PATH, 'well-behaved', path.join(nas, 'heartbeat.json'), '--interval-ms=100'],
          cwd: temp.path,
          stop_timeout: '2s',
        },
        repo: { dir: repo.work, deps_install: { command: process.execPath, args: ['-e', install], timeout: '60s' } },
      }),
    );
    supervisor = cli(['start']);
    let stderr = '';
    supervisor.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await waitFor(
      'supervisor start to be running',
      () => {
        if (supervisor.exitCode !== null) throw new Error(`supervisor exited:\n${stderr}`);
        return /supervisor running:/.test(stderr);
      },
      60_000,
    );
    address = /embedded Temporal engine listening \{"address":"([^"]+)"\}/.exec(stderr)?.[1] ?? '';
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);

    // A failing update_code_deps (its install exits 3 after the pull) and a succeeding diagnostics.
    await repo.pushUpstream('needs deps', { 'requirements.txt': 'broken\n' });
    writeFileSync(gate, 'fail');
    failedTask = await flag('update_code_deps', 'deps fail');
    await waitFor('the failed update result', () => existsSync(resultOf(failedTask)), 60_000);
    okTask = await flag('diagnostics', 'check');
    await waitFor('the diagnostics result', () => existsSync(resultOf(okTask)), 60_000);
  }, 180_000);

  afterAll(async () => {
    if (supervisor !== undefined) {
      supervisor.kill('SIGTERM');
      await supervisor;
    }
    const pidFile = path.join(temp.path, 'nas/00_STATE', `watcher_${workerId}.pid`);
    if (existsSync(pidFile)) {
      try {
        process.kill(-Number(/\d+/.exec(readFileSync(pidFile, 'utf8'))?.[0]), 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
    await temp?.cleanup();
  });

  it('tasks lists what ran, newest first, as a table and as JSON, filtered by handler and status', async () => {
    const table = await query(['tasks']);
    expect(table.exitCode).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TASK\s+HANDLER\s+LABEL\s+BY\s+STATUS\s+STARTED\s+TOOK\s+OUTCOME$/);
    expect(lines[1]).toMatch(new RegExp(`^${okTask}\\s+diagnostics\\s+check\\s+ops\\s+completed\\s.*\\sok, report `));
    expect(lines[2]).toMatch(
      new RegExp(`^${failedTask}\\s+update_code_deps\\s+deps fail\\s+ops\\s+failed\\s.*compensated: code put back$`),
    );

    const json = await query(['tasks', '--json']);
    expect(json.exitCode).toBe(0);
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(rows.map((row) => row.task_id)).toEqual([okTask, failedTask]);
    expect(rows[1]).toMatchObject({
      worker_id: workerId,
      handler: 'update_code_deps',
      label: 'deps fail',
      requested_by: 'ops',
      status: 'failed',
      workflow_id: `${workerId}/${failedTask}`,
    });
    expect(rows[1]?.outcome).toMatch(/DepsInstallFailed|exit code 3|exited with/i);

    const byHandler = JSON.parse((await query(['tasks', '--json', '--handler', 'diagnostics'])).stdout) as {
      task_id: string;
    }[];
    expect(byHandler.map((row) => row.task_id)).toEqual([okTask]);
    const failed = JSON.parse((await query(['tasks', '--json', '--status', 'failed'])).stdout) as {
      task_id: string;
    }[];
    expect(failed.map((row) => row.task_id)).toEqual([failedTask]);
    const running = JSON.parse((await query(['tasks', '--json', '--status', 'running', '--since', '1h'])).stdout);
    expect(running).toEqual([]);
    const other = await query(['tasks', '--worker', 'nobody-here']);
    expect(other.stdout).toBe('no tasks');
    const all = await query(['tasks', '--all', '--limit', '1']);
    expect(all.stdout.split('\n')[0]).toMatch(/^TASK\s+WORKER\s+HANDLER/);
    expect(all.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('tasks and logs refuse bad input with exit code 2, and an unknown task with exit code 1', async () => {
    for (const args of [
      ['tasks', '--status', 'sleeping'],
      ['tasks', '--handler', 'nope'],
      ['tasks', '--since', 'yesterday'],
      ['tasks', '--limit', '0'],
      ['tasks', '--all', '--worker', 'w9'],
      ['logs', '../etc'],
    ]) {
      const refused = await query(args);
      expect({ args, exitCode: refused.exitCode }).toEqual({ args, exitCode: 2 });
      expect(refused.stdout).toBe('');
    }
    const unknown = await query(['logs', 'no_such_task']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain(`no task no_such_task on worker ${workerId}`);
  });

  it("logs shows the failed update's timeline with its compensation steps, its log lines and its result", async () => {
    const logs = await query(['logs', failedTask]);
    expect(logs.exitCode).toBe(0);
    const out = logs.stdout;
    expect(out).toContain(`task       ${failedTask}  (update_code_deps, worker ${workerId})`);
    expect(out).toContain('requested  ops');
    expect(out).toMatch(/\n {2}\+\S+\s+installDependencies\s+failed\s/);
    // After the failure: the saga's undo steps, newest first.
    const timeline = out.slice(out.indexOf('timeline\n'), out.indexOf('log lines'));
    const undo = [...timeline.matchAll(/undo: (\w+)\s+(\w+)/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(undo).toEqual(expect.arrayContaining(['restoreWorkTree completed', 'startWatcher completed']));
    expect(timeline.indexOf('undo: restoreWorkTree')).toBeGreaterThan(timeline.indexOf('installDependencies'));
    expect(timeline).toMatch(/\n {2}\+\S+\s+writeResult\s+completed/);
    expect(out).toContain('status     failed (workflow completed)');
    expect(out).toContain(`[${failedTask} - deps fail] update failed; compensating`);
    const result = JSON.parse(out.slice(out.indexOf('{', out.indexOf('result     ')))) as Record<string, unknown>;
    expect(result).toMatchObject({
      task_id: failedTask,
      success: false,
      requested_by: 'ops',
      details: { compensated: true, failure_type: 'DepsInstallFailed' },
    });
    expect(await repo.head(repo.work)).toBe((result.details as { final_commit: string }).final_commit);
  });

  it('logs -f follows a running update and ends when it ends', async () => {
    rmSync(gate, { force: true });
    await repo.pushUpstream('more deps', { 'requirements.txt': 'fine\n' });
    const taskId = await flag('update_code_deps', 'slow');
    await waitFor('the update to be accepted', () =>
      existsSync(path.join(outbox, workerId, `${taskId}.accepted.json`)),
    );
    const follow = cli(['logs', taskId, '-f', '--address', address]);
    let seen = '';
    follow.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
    });
    // Following, and the install under way (held by the missing gate): printed as running.
    await waitFor(
      'logs -f to print the install running',
      () => /\[timeline\] \S+\s+installDependencies\s+running/.test(seen),
      60_000,
    );
    expect(seen).toMatch(/\[timeline\] \S+\s+advanceTo\s+completed/);
    expect(seen).toContain('status     running');
    expect(seen).not.toMatch(/installDependencies\s+completed/);
    writeFileSync(gate, 'ok');
    const ended = await follow;
    expect(ended.exitCode).toBe(0);
    const out = String(ended.stdout);
    expect(out).toMatch(/\[timeline\] \S+\s+installDependencies\s+completed/);
    expect(out).toMatch(/\[timeline\] \S+\s+workflow completed/);
    expect(out).toContain('status     completed');
    expect(out).toContain(`[log]      `);
    const result = JSON.parse(out.slice(out.indexOf('{', out.lastIndexOf('result     ')))) as Record<string, unknown>;
    expect(result).toMatchObject({ task_id: taskId, success: true, label: 'slow' });
  });
});
