import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import type { FakeWatcherOptions, WatcherHeartbeat } from '../helpers/fake-watcher.js';
import { pidsFileOf, readDescendantPids, readHeartbeat, spawnFakeWatcher } from '../helpers/fake-watcher.js';
import { isProcessAlive, killAll, waitFor } from '../helpers/process.js';
import { useTempDir } from '../helpers/tmp.js';

const SAMPLE_WATCHER = fileURLToPath(new URL('../../examples/sample-watcher.mjs', import.meta.url));
const spawned = new Set<number>();
afterAll(() => killAll(spawned));

const tempDir = useTempDir('ts-fixtures-');

function start(options: Omit<FakeWatcherOptions, 'heartbeatFile'>) {
  const heartbeatFile = join(tempDir(), 'heartbeat.json');
  const watcher = spawnFakeWatcher({ intervalMs: 50, ...options, heartbeatFile });
  spawned.add(watcher.pid);
  return { ...watcher, heartbeatFile };
}

function waitForBeat(file: string, matches: (beat: WatcherHeartbeat) => boolean): Promise<WatcherHeartbeat> {
  return waitFor(`heartbeat in ${file}`, async () => {
    const beat = await readHeartbeat(file);
    return beat && matches(beat) ? beat : undefined;
  });
}

/** Beat `n` or a later one: a beat lives one interval (50 ms) before the next overwrites it, too short to catch on a busy machine. */
const beatAtLeast =
  (n: number) =>
  (beat: WatcherHeartbeat): boolean =>
    Number(/^beat (\d+)$/.exec(beat.message ?? '')?.[1] ?? 0) >= n;

function expectValidHeartbeat(beat: WatcherHeartbeat, pid: number, status = 'healthy'): void {
  const allowed = ['unix_ts', 'status', 'pid', 'message', 'error'];
  expect(Object.keys(beat).filter((key) => !allowed.includes(key))).toEqual([]);
  expect(beat.pid).toBe(pid);
  expect(beat.status).toBe(status);
  expect(Math.abs(beat.unix_ts - Date.now() / 1000)).toBeLessThan(60);
}

async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

describe('fake watcher', () => {
  it('well-behaved: keeps beating, then a final "stopping" beat and exit 0 on SIGTERM', async () => {
    const watcher = start({ variant: 'well-behaved' });
    expectValidHeartbeat(await waitForBeat(watcher.heartbeatFile, beatAtLeast(3)), watcher.pid);
    watcher.subprocess.kill('SIGTERM');
    expect(await watcher.exited).toEqual({ exitCode: 0, signal: undefined });
    expectValidHeartbeat((await readHeartbeat(watcher.heartbeatFile))!, watcher.pid, 'stopping');
  });

  it('ignore-sigterm: survives SIGTERM, dies only on SIGKILL', async () => {
    const watcher = start({ variant: 'ignore-sigterm' });
    await waitForBeat(watcher.heartbeatFile, () => true);
    watcher.subprocess.kill('SIGTERM');
    // The handler wrote this, so the signal was delivered and ignored; the later beat proves it runs on.
    const after = await waitForBeat(watcher.heartbeatFile, (b) => b.message === 'ignored SIGTERM x1');
    await waitForBeat(watcher.heartbeatFile, (b) => b.unix_ts > after.unix_ts);
    expect(await isProcessAlive(watcher.pid)).toBe(true);
    watcher.subprocess.kill('SIGKILL');
    expect(await watcher.exited).toEqual({ exitCode: undefined, signal: 'SIGKILL' });
    expect(await isProcessAlive(watcher.pid)).toBe(false);
  });

  it('forks-grandchildren: child and grandchild are real descendants and outlive the parent', async () => {
    const watcher = start({ variant: 'forks-grandchildren' });
    const pidsFile = pidsFileOf({ variant: 'forks-grandchildren', heartbeatFile: watcher.heartbeatFile });
    const pids = await waitFor('pids file', () => readDescendantPids(pidsFile));
    spawned.add(pids.child).add(pids.grandchild);
    expect(pids.parent).toBe(watcher.pid);
    expect(await parentOf(pids.child)).toBe(watcher.pid);
    expect(await parentOf(pids.grandchild)).toBe(pids.child);
    watcher.subprocess.kill('SIGTERM');
    expect(await watcher.exited).toEqual({ exitCode: 0, signal: undefined });
    expect(await isProcessAlive(pids.child)).toBe(true);
    expect(await isProcessAlive(pids.grandchild)).toBe(true);
    killAll([pids.child, pids.grandchild]);
    const gone = async (pid: number): Promise<boolean> => !(await isProcessAlive(pid));
    await waitFor('descendants gone', async () => (await gone(pids.child)) && (await gone(pids.grandchild)));
  });

  it('stops-heartbeating: goes silent after N beats but stays alive', async () => {
    const watcher = start({ variant: 'stops-heartbeating', beats: 3 });
    const last = await waitForBeat(watcher.heartbeatFile, (b) => b.message === 'beat 3');
    // Ten intervals of silence: a live beater would have written several more by now.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await readHeartbeat(watcher.heartbeatFile)).toEqual(last);
    expect(await isProcessAlive(watcher.pid)).toBe(true);
    watcher.subprocess.kill('SIGTERM');
    expect(await watcher.exited).toEqual({ exitCode: 0, signal: undefined });
    expect(await readHeartbeat(watcher.heartbeatFile)).toEqual(last);
  });
});

describe('examples/sample-watcher.mjs', () => {
  it('writes valid heartbeats, logs each beat and exits 0 with a "stopping" beat on SIGTERM', async () => {
    // A folder that does not exist yet: the default config points it at a fresh ./var tree.
    const heartbeatFile = join(tempDir(), '00_STATE', 'watcher_heartbeat_test.json');
    const sample = execa(process.execPath, [SAMPLE_WATCHER], {
      reject: false,
      env: { WATCHER_HEARTBEAT_FILE: heartbeatFile, WATCHER_INTERVAL_MS: '50' },
    });
    const pid = sample.pid!;
    spawned.add(pid);
    expectValidHeartbeat(await waitForBeat(heartbeatFile, beatAtLeast(2)), pid);
    sample.kill('SIGTERM');
    const result = await sample;
    expect(result.exitCode).toBe(0);
    expectValidHeartbeat((await readHeartbeat(heartbeatFile))!, pid, 'stopping');
    expect(result.stdout).toMatch(/sample-watcher pid=\d+ healthy beat=2/);
    expect(result.stdout).toMatch(/stopping on SIGTERM/);
  });

  it('takes the heartbeat path from argv and stops cleanly on SIGINT', async () => {
    const heartbeatFile = join(tempDir(), 'hb.json');
    const sample = execa(process.execPath, [SAMPLE_WATCHER, heartbeatFile], { reject: false });
    spawned.add(sample.pid!);
    await waitForBeat(heartbeatFile, () => true);
    sample.kill('SIGINT');
    expect((await sample).exitCode).toBe(0);
    expect((await readHeartbeat(heartbeatFile))?.status).toBe('stopping');
  });
});
