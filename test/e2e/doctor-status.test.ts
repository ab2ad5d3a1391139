/**
 * `supervisor doctor` and `supervisor status --all` through the built CLI, against `supervisor devserver` and
 * `supervisor worker` processes with the fake watcher, a real git checkout and a real MariaDB: doctor passes
 * a healthy host and fails each row it claims to check when that one thing is broken; status --all lists
 * every worker of the namespace from Temporal.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { assertFreshDist, distCli, distMain } from '../helpers/dist.js';
import { fakeWatcherArgs } from '../helpers/fake-watcher.js';
import { makeGitFixture } from '../helpers/git.js';
import type { GitFixture } from '../helpers/git.js';
import { startMariaDb } from '../helpers/mariadb.js';
import type { MariaDbHarness } from '../helpers/mariadb.js';
import { freePort, killAll, waitFor } from '../helpers/process.js';
import { makeTempDir } from '../helpers/tmp.js';
import type { TempDir } from '../helpers/tmp.js';

/** libfaketime (Debian's faketime, which .ci/run installs) moves a process's clock: the skewed server. */
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const FAKETIME = existsSync(LIBFAKETIME);
/** A small tmpfs for the disk-space row needs root (mount); CI runs as root. */
const CAN_MOUNT = process.getuid?.() === 0;
if (!FAKETIME) console.warn('doctor e2e: the clock-skew Fail row is not tested here: faketime is not installed');
if (!CAN_MOUNT) console.warn('doctor e2e: the disk-space Fail row is not tested here: mounting a tmpfs needs root');

interface Row {
  group: string;
  check: string;
  status: 'pass' | 'advisory' | 'fail';
  detail: string;
  fix?: string;
}

interface FleetWorker {
  worker_id: string;
  keepalive_status: string | null;
  watcher_state: string | null;
  heartbeat_age_seconds: number | null;
  restarts_in_window: number | null;
  draining: boolean | null;
  last_health_run: { success: boolean } | null;
}

/** A config document: plain JSON, which YAML reads as is. */
type Doc = Record<string, unknown>;

const SA_NAMESPACE = 'doctor-sa';
const children: ResultPromise[] = [];
let tmp: TempDir;
let address: string;
let repo: GitFixture;
let db: MariaDbHarness;
let serial = 0;
/** Folders made outside the temp dir (another filesystem), removed at the end. */
const elsewhere: string[] = [];
/** The pid files of the watchers the workers start: a stopped worker leaves its watcher running, by design. */
const watcherPidFiles: string[] = [];

/** `supervisor ARGS`, with `env` added to the environment (e.g. libfaketime's). */
function spawnCli(args: string[], env: Record<string, string> = {}): ResultPromise {
  const child = execa(process.execPath, [distMain, ...args], { reject: false, env: { SUPERVISOR_CONFIG: '', ...env } });
  children.push(child);
  return child;
}

/** `supervisor devserver --port 0`, resolving with the address it prints. */
function startDevserver(env: Record<string, string> = {}): Promise<string> {
  const child = spawnCli(['devserver', '--port', '0', '--db', ':memory:', '--namespace', SA_NAMESPACE], env);
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const line = /^(\S+:\d+)\n/.exec(seen)?.[1];
      if (line !== undefined) resolve(line);
    });
    void child.then((result) => reject(new Error(`devserver exited: ${result.stderr}`)));
  });
}

/** A healthy configuration for `workerId` under a fresh folder (created, as supervisor start would). */
function healthy(workerId: string): { doc: Doc; dir: string } {
  serial += 1;
  const dir = path.join(tmp.path, `${workerId}-${serial}`);
  const nas = path.join(dir, 'nas');
  for (const sub of ['Worker_Inbox', 'Worker_Outbox', '00_STATE', '05_LOGS/diagnostics'])
    mkdirSync(path.join(nas, sub), { recursive: true });
  const doc: Doc = {
    worker_id: workerId,
    paths: { nas_root: nas },
    temporal: { address },
    watcher: {
      command: process.execPath,
      args: fakeWatcherArgs({
        variant: 'well-behaved',
        heartbeatFile: path.join(nas, '00_STATE', `watcher_heartbeat_${workerId}.json`),
      }),
    },
    repo: { dir: repo.work, deps_install: { command: process.execPath, args: ['--version'] } },
    database: { ...db.config, critical_tables: ['workers_t'] },
    http: { enabled: false },
    health: { interval: '1s' },
  };
  return { doc, dir };
}

function writeConfig(dir: string, doc: Doc): string {
  const file = path.join(dir, 'supervisor.yaml');
  writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
}

/** Runs `doctor --json` on `doc`; `row()` finds one check or fails the test naming it. */
async function doctor(doc: Doc, dir: string, env: Record<string, string | undefined> = {}) {
  const result = await distCli(['--config', writeConfig(dir, doc), 'doctor', '--json'], { cwd: dir, env });
  const report = JSON.parse(result.stdout) as { ok: boolean; checks: Row[] };
  const row = (group: string, check: string): Row => {
    const found = report.checks.find((r) => r.group === group && r.check === check);
    if (found === undefined) throw new Error(`no row ${group} ${check} in:\n${result.stdout}`);
    return found;
  };
  return { exitCode: result.exitCode, report, row, stderr: result.stderr };
}

/** Runs doctor with `change` applied to a healthy config and expects exactly that row to fail. */
async function expectFail(group: string, check: string, detail: RegExp, change: (doc: Doc, dir: string) => Doc) {
  const { doc, dir } = healthy('doc1');
  const result = await doctor(change(doc, dir), dir);
  expect(result.exitCode).toBe(1);
  expect(result.stderr).toMatch(/doctor: \d+ check\(s\) failed/);
  const row = result.row(group, check);
  expect(row.status).toBe('fail');
  expect(row.detail).toMatch(detail);
  expect(row.fix).toBeTruthy();
  return result;
}

const statusAll = async (config: string, ...extra: string[]) => {
  const result = await distCli(['--config', config, 'status', ...extra, '--json']);
  if (result.exitCode !== 0) throw new Error(`status failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as FleetWorker[] & FleetWorker;
};

beforeAll(async () => {
  assertFreshDist();
  tmp = await makeTempDir('doctor-e2e-');
  [address, repo, db] = await Promise.all([startDevserver(), makeGitFixture(tmp.path), startMariaDb()]);
  const workers = ['doc1', 'wa', 'wb'].map((id) => {
    const { doc, dir } = healthy(id);
    watcherPidFiles.push(path.join(dir, 'nas/00_STATE', `watcher_${id}.pid`));
    return { id, config: writeConfig(dir, doc) };
  });
  for (const { config } of workers) void spawnCli(['--config', config, 'worker']);
  // Each worker polls its queue once it is up: doctor's own poller row is the signal.
  await waitFor(
    'the workers to poll',
    async () => {
      const { doc, dir } = healthy('doc1');
      return (await doctor(doc, dir)).row('temporal', 'worker polling').status === 'pass';
    },
    60_000,
    250,
  );
}, 120_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => child));
  const watcherPid = (file: string): number[] => {
    try {
      return [(JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid];
    } catch {
      return [];
    }
  };
  killAll(watcherPidFiles.flatMap(watcherPid));
  await db?.stop();
  await tmp?.cleanup();
  for (const dir of elsewhere) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('supervisor doctor', () => {
  it('passes a healthy host: no Fail, exit 0, and the rows that prove it', async () => {
    const { doc, dir } = healthy('doc1');
    const result = await doctor(doc, dir);
    expect(result.report.checks.filter((r) => r.status === 'fail')).toEqual([]);
    expect(result.exitCode).toBe(0);
    for (const [group, check] of [
      ['config', 'valid'],
      ['paths', 'inbox'],
      ['paths', 'same filesystem'],
      ['temporal', 'reachable'],
      ['temporal', 'namespace'],
      ['temporal', 'worker polling'],
      ['temporal', 'clock skew'],
      ['database', 'reachable'],
      ['database', 'UTC session'],
      ['database', 'tables'],
      ['repo', 'checkout'],
      ['repo', 'remote'],
      ['repo', 'branch'],
      ['commands', 'watcher command'],
      ['commands', 'deps command'],
    ] as const)
      expect(`${group} ${check} ${result.row(group, check).status}`).toBe(`${group} ${check} pass`);
    const human = await distCli(['--config', writeConfig(dir, doc), 'doctor']);
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toMatch(/^PASS +temporal worker polling +supervisor-doc1: /m);
  });

  it('advises, without failing, when there is no database, no repo.dir, or a drain marker', async () => {
    const { doc, dir } = healthy('doc1');
    const { database: _db, ...rest } = doc;
    writeFileSync(path.join(dir, 'nas/00_STATE/supervisor_drain_doc1.flag'), '{}');
    const result = await doctor({ ...rest, repo: {} }, dir);
    expect(result.exitCode).toBe(0);
    expect(result.row('database', 'configured')).toMatchObject({ status: 'advisory', detail: /NDJSON/ });
    expect(result.row('repo', 'checkout').status).toBe('advisory');
    expect(result.row('paths', 'drain marker').status).toBe('advisory');
  });

  it('fails an invalid configuration', async () => {
    await expectFail('config', 'valid', /http\.port/, (doc) => ({ ...doc, http: { port: 'high' } }));
  });

  it('fails a missing folder', async () => {
    await expectFail('paths', 'outbox', /does not exist/, (doc, dir) => ({
      ...doc,
      paths: { nas_root: path.join(dir, 'nas'), outbox: path.join(dir, 'gone') },
    }));
  });

  it('fails a path that is a file', async () => {
    await expectFail('paths', 'logs', /is not a directory/, (doc, dir) => {
      writeFileSync(path.join(dir, 'logs-file'), '');
      return { ...doc, paths: { nas_root: path.join(dir, 'nas'), logs: path.join(dir, 'logs-file') } };
    });
  });

  it('fails a folder nobody may write, root included', async () => {
    await expectFail('paths', 'diagnostics', /is not writable/, (doc, dir) => ({
      ...doc,
      paths: { nas_root: path.join(dir, 'nas'), diagnostics: '/sys/kernel' },
    }));
  });

  it('fails inbox, outbox and state on different filesystems', async () => {
    await expectFail('paths', 'same filesystem', /different filesystems \(.*inbox.*\)/, (doc, dir) => {
      const inbox = path.join('/dev/shm', `doctor-inbox-${path.basename(dir)}`);
      mkdirSync(inbox, { recursive: true });
      elsewhere.push(inbox);
      return { ...doc, paths: { nas_root: path.join(dir, 'nas'), inbox } };
    });
  });

  it('fails an unreachable Temporal, every Temporal row with the fix', async () => {
    const port = await freePort();
    const result = await expectFail('temporal', 'reachable', new RegExp(`127.0.0.1:${port}`), (doc) => ({
      ...doc,
      temporal: { address: `127.0.0.1:${port}` },
    }));
    for (const check of ['namespace', 'search attributes', 'worker polling'])
      expect(result.row('temporal', check).status).toBe('fail');
  });

  it('fails a namespace the server does not have', async () => {
    await expectFail('temporal', 'namespace', /no-such-namespace does not exist/, (doc) => ({
      ...doc,
      temporal: { address, namespace: 'no-such-namespace' },
    }));
  });

  it('fails a search attribute registered with the wrong type', async () => {
    const connection = await Connection.connect({ address });
    try {
      await connection.operatorService.addSearchAttributes({
        namespace: SA_NAMESPACE,
        searchAttributes: { TaskLabel: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
      });
    } finally {
      await connection.close();
    }
    await expectFail('temporal', 'search attributes', /TaskLabel is KEYWORD, the supervisor needs TEXT/, (doc) => ({
      ...doc,
      temporal: { address, namespace: SA_NAMESPACE },
    }));
  });

  it('fails a task queue no worker polls', async () => {
    await expectFail('temporal', 'worker polling', /no worker polls supervisor-nobody/, (doc) => ({
      ...doc,
      worker_id: 'nobody',
    }));
  });

  it('fails a database it cannot reach', async () => {
    const port = await freePort();
    await expectFail('database', 'reachable', new RegExp(`127.0.0.1:${port}`), (doc) => ({
      ...doc,
      database: { ...db.config, port },
    }));
  });

  it('fails a database section whose variable is unset', async () => {
    await expectFail('database', 'configured', /DOCTOR_UNSET_PASSWORD is not set/, (doc) => ({
      ...doc,
      database: { ...db.config, password: '${DOCTOR_UNSET_PASSWORD}' },
    }));
  });

  it('fails a missing table', async () => {
    await expectFail('database', 'tables', /missing: no_such_t/, (doc) => ({
      ...doc,
      database: { ...db.config, critical_tables: ['workers_t', 'no_such_t'] },
    }));
  });

  it('fails a repo.dir that is not a git checkout', async () => {
    await expectFail('repo', 'checkout', /is not a git checkout/, (doc, dir) => ({
      ...doc,
      repo: { dir: path.join(dir, 'nas') },
    }));
  });

  it('fails a repo.dir that does not exist', async () => {
    await expectFail('repo', 'checkout', /does not exist/, (doc, dir) => ({
      ...doc,
      repo: { dir: path.join(dir, 'x') },
    }));
  });

  it('fails a checkout without the configured remote', async () => {
    await expectFail('repo', 'remote', /no remote upstream/, (doc) => ({
      ...doc,
      repo: { dir: repo.work, remote: 'upstream' },
    }));
  });

  it('fails a checkout without the configured branch', async () => {
    await expectFail('repo', 'branch', /no branch release/, (doc) => ({
      ...doc,
      repo: { dir: repo.work, branch: 'release' },
    }));
  });

  it('fails a watcher command that does not exist', async () => {
    await expectFail('commands', 'watcher command', /no-such-watcher-binary is not an executable file/, (doc) => ({
      ...doc,
      watcher: { command: 'no-such-watcher-binary' },
    }));
  });

  (FAKETIME ? it : it.skip)(
    `fails a Temporal server whose clock is 30 s ahead${FAKETIME ? '' : ' (SKIPPED: faketime is not installed; apt-get install faketime)'}`,
    async () => {
      // FAKETIME_DONT_FAKE_MONOTONIC: only the wall clock moves, the engine's timers keep real time.
      const skewed = await startDevserver({
        LD_PRELOAD: LIBFAKETIME,
        FAKETIME: '+30s',
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
      });
      await expectFail('temporal', 'clock skew', /server clock \+\d+ ms off the local one/, (doc) => ({
        ...doc,
        temporal: { address: skewed },
      }));
    },
  );

  (CAN_MOUNT ? it : it.skip)(
    `fails a share with less than 100 MiB free${CAN_MOUNT ? '' : ' (SKIPPED: mounting a small tmpfs needs root)'}`,
    async () => {
      const small = path.join(tmp.path, 'small-share');
      mkdirSync(small);
      await execa('mount', ['-t', 'tmpfs', '-o', 'size=50m', 'tmpfs', small]);
      try {
        for (const sub of ['Worker_Inbox', 'Worker_Outbox', '00_STATE', '05_LOGS/diagnostics'])
          mkdirSync(path.join(small, sub), { recursive: true });
        await expectFail('paths', 'disk space', /\d+ MiB free under .*small-share/, (doc) => ({
          ...doc,
          paths: { nas_root: small },
        }));
      } finally {
        await execa('umount', [small]);
      }
    },
  );

  it('fails a deps command that does not exist', async () => {
    await expectFail('commands', 'deps command', /no-such-pip not found/, (doc) => ({
      ...doc,
      repo: { dir: repo.work, deps_install: { command: 'no-such-pip' } },
    }));
  });
});

describe('supervisor status --all', () => {
  it('lists every worker started against the engine, from Temporal; --worker reaches another one', async () => {
    const { doc, dir } = healthy('wa');
    const config = writeConfig(dir, doc);
    const fleet = await waitFor(
      'both workers with a health run',
      async () => {
        const all = await statusAll(config, '--all');
        const ours = all.filter((w) => w.worker_id === 'wa' || w.worker_id === 'wb');
        return ours.length === 2 &&
          ours.every((w) => w.last_health_run?.success === true && w.watcher_state === 'running')
          ? all
          : undefined;
      },
      60_000,
      250,
    );
    for (const id of ['wa', 'wb']) {
      const worker = fleet.find((w) => w.worker_id === id);
      expect(worker).toMatchObject({ keepalive_status: 'RUNNING', watcher_state: 'running', draining: false });
      expect(typeof worker?.heartbeat_age_seconds).toBe('number');
      expect(worker?.restarts_in_window).toBe(0);
    }
    const other = await statusAll(config, '--worker', 'wb');
    expect(other.worker_id).toBe('wb');
    expect(other.keepalive_status).toBe('RUNNING');

    const human = await distCli(['--config', config, 'status', '--all']);
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toMatch(/^WORKER +KEEP-ALIVE +WATCHER/);
    expect(human.stdout).toMatch(/^wa +RUNNING +running /m);
    expect(human.stdout).toMatch(/^wb +RUNNING +running /m);
  });

  it('refuses --all with --worker, and a bad worker id, as usage errors', async () => {
    const { doc, dir } = healthy('wa');
    const config = writeConfig(dir, doc);
    const both = await distCli(['--config', config, 'status', '--all', '--worker', 'wb']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('--all and --worker exclude each other');
    const bad = await distCli(['--config', config, 'status', '--worker', '../x']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('is not a worker id');
  });
});
