import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { execa } from 'execa';
import { PermanentFailure } from '../../../src/activities/errors.js';
import { pidFilePath } from '../../../src/nas/paths.js';
import type { Config } from '../../../src/config/schema.js';
import { FAKE_WATCHER_PATH, fakeWatcherArgs, readDescendantPids, readHeartbeat } from '../../helpers/fake-watcher.js';
import type { FakeWatcherVariant } from '../../helpers/fake-watcher.js';
import { isProcessAlive, killAll, waitFor } from '../../helpers/process.js';
import { useTempDir } from '../../helpers/tmp.js';
import { activitiesFor, runInActivity } from '../../helpers/activities.js';
import { FAST_TIMING, testConfig } from '../../helpers/config.js';

const SAMPLE_WATCHER = fileURLToPath(new URL('../../../examples/sample-watcher.mjs', import.meta.url));

/** Every pid a test learned about; SIGKILLed afterwards whatever the test did. */
const spawned = new Set<number>();
afterEach(() => {
  killAll([...spawned].flatMap((pid) => [pid, -pid]));
  spawned.clear();
});

function fakeConfig(dir: string, variant: FakeWatcherVariant, stopTimeout = '2s'): Config {
  const heartbeatFile = join(dir, '00_STATE', 'watcher_heartbeat_W1.json');
  return testConfig(dir, {
    watcher: {
      command: process.execPath,
      args: fakeWatcherArgs({ variant, heartbeatFile, intervalMs: 50 }),
      cwd: dir,
      stop_timeout: stopTimeout,
    },
  });
}

async function allGone(pids: number[]): Promise<boolean> {
  const alive = await Promise.all(pids.map((pid) => isProcessAlive(pid)));
  return alive.every((value) => !value);
}

/** Starts the watcher and waits for its first heartbeat: by then its signal handlers are installed. */
async function startTracked(config: Config): Promise<number> {
  const { pid } = await activitiesFor(config).startWatcher();
  spawned.add(pid);
  if (config.watcher.args.includes(FAKE_WATCHER_PATH)) {
    await waitFor('first heartbeat', async () => (await readHeartbeat(config.watcher.heartbeat_file))?.pid === pid);
  }
  return pid;
}

describe('watcher process activities', () => {
  const dir = useTempDir('ts-proc-');

  it('starts the watcher detached with its env, pid file and log, and finds it again', async () => {
    const config = testConfig(dir(), {
      watcher: { command: process.execPath, args: [SAMPLE_WATCHER], cwd: dir(), env: { WATCHER_INTERVAL_MS: '50' } },
    });
    const acts = activitiesFor(config);
    const pid = await startTracked(config);
    // sample-watcher only learns its heartbeat file from WATCHER_HEARTBEAT_FILE.
    const beat = await waitFor('heartbeat', () => readHeartbeat(config.watcher.heartbeat_file));
    expect(beat.pid).toBe(pid);
    const record = JSON.parse(await readFile(pidFilePath(config), 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({
      pid,
      command: process.execPath,
      args: [SAMPLE_WATCHER],
      cmdline: `${process.execPath} ${SAMPLE_WATCHER}`,
    });
    expect(Date.parse(String(record.started_at))).toBeGreaterThan(Date.now() - 60_000);
    await waitFor('log lines', async () =>
      (await readFile(config.watcher.log_file, 'utf8').catch(() => '')).includes('sample-watcher pid='),
    );

    const status = await acts.watcherStatus();
    expect(status).toMatchObject({ running: true, pid, cmdline: record.cmdline });
    expect(status.rssBytes).toBeGreaterThan(1_000_000);
    expect(await acts.startWatcher()).toEqual({ started: false, alreadyRunning: true, pid });

    const stopped = await runInActivity(new MockActivityEnvironment(), acts.stopWatcher);
    expect(stopped).toEqual({ wasRunning: true, stoppedBy: 'sigterm', pids: [pid], resumed: [] });
    expect(await isProcessAlive(pid)).toBe(false);
    expect((await readHeartbeat(config.watcher.heartbeat_file))?.status).toBe('stopping');
    await expect(readFile(pidFilePath(config))).rejects.toThrow(/ENOENT/);
    expect((await acts.watcherStatus()).running).toBe(false);
  });

  it('kills a watcher that ignores SIGTERM after the stop timeout, heartbeating while it waits', async () => {
    const config = fakeConfig(dir(), 'ignore-sigterm', '400ms');
    const pid = await startTracked(config);
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    const stopped = await runInActivity(env, activitiesFor(config).stopWatcher);
    expect(stopped).toEqual({ wasRunning: true, stoppedBy: 'sigkill', pids: [pid], resumed: [] });
    expect(await isProcessAlive(pid)).toBe(false);
    expect(beats[0]).toEqual({ phase: 'sigterm', survivors: [pid] });
    // It really got (and ignored) the SIGTERM before the kill.
    expect((await readHeartbeat(config.watcher.heartbeat_file))?.message).toMatch(/ignored SIGTERM/);
  });

  it('continues a SIGSTOPped watcher so its SIGTERM arrives, instead of waiting out the stop timeout', async () => {
    const config = fakeConfig(dir(), 'well-behaved', '120s');
    const pid = await startTracked(config);
    process.kill(pid, 'SIGSTOP');
    await waitFor('stopped state', async () => (await readFile(`/proc/${pid}/stat`, 'utf8')).includes(') T '));
    const stopped = await runInActivity(new MockActivityEnvironment(), activitiesFor(config).stopWatcher);
    expect(stopped).toEqual({ wasRunning: true, stoppedBy: 'sigterm', pids: [pid], resumed: [pid] });
    expect((await readHeartbeat(config.watcher.heartbeat_file))?.status).toBe('stopping');
  });

  it('gives a hung watcher only hang_stop_timeout before SIGKILL', async () => {
    const base = fakeConfig(dir(), 'ignore-sigterm', '120s');
    const config = { ...base, watcher: { ...base.watcher, hang_stop_timeout: 200 } };
    const pid = await startTracked(config);
    // With the 120 s stop_timeout this would outlast the test's timeout; the hang grace ends it at once.
    const stopped = await runInActivity(new MockActivityEnvironment(), () =>
      activitiesFor(config).stopWatcher({ reason: 'hang' }),
    );
    expect(stopped).toEqual({ wasRunning: true, stoppedBy: 'sigkill', pids: [pid], resumed: [] });
    expect((await readHeartbeat(config.watcher.heartbeat_file))?.message).toMatch(/ignored SIGTERM/);
  });

  it('leaves no child or grandchild of a forking watcher behind', async () => {
    const config = fakeConfig(dir(), 'forks-grandchildren');
    await startTracked(config);
    const tree = await waitFor('descendant pids', () =>
      readDescendantPids(`${config.watcher.heartbeat_file}.pids.json`),
    );
    [tree.child, tree.grandchild].forEach((pid) => spawned.add(pid));
    const stopped = await runInActivity(new MockActivityEnvironment(), activitiesFor(config).stopWatcher);
    expect(stopped.wasRunning).toBe(true);
    expect(stopped.pids).toEqual(expect.arrayContaining([tree.parent, tree.child, tree.grandchild]));
    expect(await allGone([tree.parent, tree.child, tree.grandchild])).toBe(true);
  });

  it('stops what a dead watcher left behind, before a new one starts', async () => {
    const config = fakeConfig(dir(), 'forks-grandchildren');
    await startTracked(config);
    const tree = await waitFor('descendant pids', () =>
      readDescendantPids(`${config.watcher.heartbeat_file}.pids.json`),
    );
    [tree.child, tree.grandchild].forEach((pid) => spawned.add(pid));
    process.kill(tree.parent, 'SIGKILL');
    await waitFor('parent gone', async () => !(await isProcessAlive(tree.parent)));
    const acts = activitiesFor(config);
    expect((await acts.watcherStatus()).running).toBe(false);
    const stopped = await runInActivity(new MockActivityEnvironment(), acts.stopWatcher);
    expect(stopped).toEqual({
      wasRunning: false,
      stoppedBy: 'not-running',
      pids: [tree.child, tree.grandchild].sort((a, b) => a - b),
      resumed: [],
    });
    expect(await allGone([tree.child, tree.grandchild])).toBe(true);
  });

  it('SIGKILLs stubborn descendants, even one that left the process group', async () => {
    // Every process ignores SIGTERM; the grandchild is in a new group, reachable only by parent pid.
    const script = `
      const { spawn } = require('node:child_process');
      process.on('SIGTERM', () => {});
      const depth = Number(process.argv[1] ?? 0);
      if (depth < 2) spawn(process.execPath, ['-e', process.argv[2] ?? '', String(depth + 1), process.argv[2] ?? ''], { stdio: 'ignore', detached: depth === 1 });
      setInterval(() => {}, 1000);`;
    const config = testConfig(dir(), {
      watcher: { command: process.execPath, args: ['-e', script, '0', script], cwd: dir(), stop_timeout: '300ms' },
    });
    const pid = await startTracked(config);
    const { stdout } = await waitFor('three processes', async () => {
      const out = await execa('ps', ['-o', 'pid=', '--ppid', String(pid)], { reject: false });
      const child = Number(out.stdout.trim());
      if (!child) return false;
      const grand = await execa('ps', ['-o', 'pid=', '--ppid', String(child)], { reject: false });
      return Number(grand.stdout.trim()) ? { stdout: [pid, child, Number(grand.stdout.trim())] } : false;
    });
    stdout.forEach((p) => spawned.add(p));
    const stopped = await runInActivity(new MockActivityEnvironment(), activitiesFor(config).stopWatcher);
    expect(stopped.stoppedBy).toBe('sigkill');
    expect(stopped.pids).toEqual(expect.arrayContaining(stdout));
    expect(await allGone(stdout)).toBe(true);
  });

  it('stops waiting when the stop is cancelled, without escalating to SIGKILL', async () => {
    const config = fakeConfig(dir(), 'ignore-sigterm', '30s');
    const pid = await startTracked(config);
    const env = new MockActivityEnvironment();
    env.once('heartbeat', () => env.cancel());
    await expect(env.run(activitiesFor(config).stopWatcher)).rejects.toBeInstanceOf(CancelledFailure);
    expect(await isProcessAlive(pid)).toBe(true);
    // Still ours: the pid file stays so the next stop finds it.
    expect((await activitiesFor(config).watcherStatus()).pid).toBe(pid);
  });

  it('treats a pid file naming another process, or a dead one, as not running', async () => {
    const config = fakeConfig(dir(), 'well-behaved');
    const stranger = execa('sleep', ['30'], { reject: false });
    if (stranger.pid === undefined) throw new Error('sleep did not start');
    spawned.add(stranger.pid);
    const record = {
      pid: stranger.pid,
      command: process.execPath,
      args: config.watcher.args,
      cmdline: '',
      started_at: new Date().toISOString(),
    };
    await writeFile(pidFilePath(config), JSON.stringify(record));
    const acts = activitiesFor(config);
    expect((await acts.watcherStatus()).running).toBe(false);
    expect(await acts.stopWatcher()).toEqual({ wasRunning: false, stoppedBy: 'not-running', pids: [], resumed: [] });
    expect(await isProcessAlive(stranger.pid)).toBe(true);
    await expect(readFile(pidFilePath(config))).rejects.toThrow(/ENOENT/);
    stranger.kill('SIGKILL');
    await stranger;

    await writeFile(pidFilePath(config), JSON.stringify({ ...record, pid: stranger.pid }));
    expect((await acts.watcherStatus()).running).toBe(false);
  });

  it('fails permanently when the watcher cannot start or dies at once', async () => {
    const missing = testConfig(dir(), { watcher: { command: join(dir(), 'no-such-watcher'), args: [], cwd: dir() } });
    await expect(activitiesFor(missing).startWatcher()).rejects.toMatchObject({
      type: 'WatcherStartFailed',
      nonRetryable: true,
    });
    // sh starts in a millisecond; the grace is long enough that even a loaded machine sees the exit.
    const crashing = testConfig(dir(), {
      watcher: { command: 'sh', args: ['-c', 'echo bad config >&2; exit 2'], cwd: dir() },
    });
    const error = await activitiesFor(crashing, { timing: { ...FAST_TIMING, startGraceMs: 1_000 } })
      .startWatcher()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermanentFailure);
    expect(JSON.stringify((error as PermanentFailure).details)).toContain('bad config');
    await expect(readFile(pidFilePath(crashing))).rejects.toThrow(/ENOENT/);
  });
});
