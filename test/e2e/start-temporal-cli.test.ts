/**
 * The built CLI's `supervisor start` with `temporal.address: temporal-cli`: it runs the official
 * `temporal server start-dev` itself (Web UI on), the worker, keep-alive and ingest on it, and takes the
 * server along when it stops; a hard-killed start's leftover server is stopped by the next start. Without
 * the binary, start refuses with how to install it. Needs `npm run build` (or `npx tsc -p tsconfig.build.json`).
 */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { Config } from '../../src/config/schema.js';
import type { ResultFile } from '../../src/contract/handlers.js';
import { pidFilePath, resultFilePath } from '../../src/nas/paths.js';
import { fakeWatcherArgs } from '../helpers/fake-watcher.js';
import { freePort, isProcessAlive, killAll, waitFor } from '../helpers/process.js';
import { realServerMissing } from '../helpers/temporal-server.js';
import { useTempDir } from '../helpers/tmp.js';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'dist/cli/main.js');
const missing = realServerMissing();
if (missing !== undefined) console.warn(`start-temporal-cli e2e: the real-server tests are skipped: ${missing}`);
const describeWithBinary = missing === undefined ? describe : describe.skip;

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first`);
  if (statSync(path.join(root, 'src/cli/actions/temporal-cli.ts')).mtimeMs > statSync(cli).mtimeMs)
    throw new Error(`${cli} is older than src/: run "npm run build" so this tests the current code`);
});

/** True when nothing listens on 127.0.0.1:port (we can bind it ourselves). */
async function portFree(port: number): Promise<boolean> {
  const server = createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (bound) await new Promise<void>((resolve) => server.close(() => resolve()));
  return bound;
}

interface Launched {
  child: ResultPromise;
  server: { address: string; ui: string; server_pid: number };
  stderr: () => string;
}

describe('supervisor start with temporal.address: temporal-cli', () => {
  const tmp = useTempDir('e2e-temporal-cli-');
  const children: ResultPromise[] = [];
  const serverPids = new Set<number>();
  let config: Config | undefined;
  let file: string;

  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill('SIGTERM');
      await child;
    }
    killAll(serverPids);
    serverPids.clear();
    // The watcher outlives the supervisor by design: stop its process group.
    if (config !== undefined && existsSync(pidFilePath(config))) {
      const pid = Number(/\d+/.exec(readFileSync(pidFilePath(config), 'utf8'))?.[0]);
      if (pid > 0 && (await isProcessAlive(pid))) process.kill(-pid, 'SIGKILL');
    }
    config = undefined;
  });

  async function setUp(): Promise<{ port: number; uiPort: number; db: string }> {
    const [port, uiPort] = [await freePort(), await freePort()];
    const db = path.join(tmp(), 'var', 'temporal-cli.db');
    const raw = {
      worker_id: 'T1',
      paths: { nas_root: path.join(tmp(), 'nas') },
      temporal: { address: 'temporal-cli', temporal_cli: { port, ui_port: uiPort, db } },
      http: { enabled: false },
      logging: { file: path.join(tmp(), 'supervisor.log') },
      watcher: {
        command: process.execPath,
        args: fakeWatcherArgs({
          variant: 'well-behaved',
          heartbeatFile: path.join(tmp(), 'nas/00_STATE/watcher_heartbeat_T1.json'),
          intervalMs: 50,
        }),
        cwd: tmp(),
        stop_timeout: '2s',
      },
    };
    file = path.join(tmp(), 'supervisor.json');
    writeFileSync(file, JSON.stringify(raw));
    config = Config.parse(raw);
    for (const folder of Object.values(config.paths)) mkdirSync(folder, { recursive: true });
    return { port, uiPort, db };
  }

  const supervisor = (args: string[], env: Record<string, string> = {}) =>
    execa(process.execPath, [cli, '--config', file, ...args], {
      cwd: tmp(),
      reject: false,
      env: { SUPERVISOR_CONFIG: '', ...env },
    });

  async function watcherPid(): Promise<number | undefined> {
    if (config === undefined || !existsSync(pidFilePath(config))) return undefined;
    const pid = Number(/\d+/.exec(readFileSync(pidFilePath(config), 'utf8'))?.[0]);
    return pid > 0 && (await isProcessAlive(pid)) ? pid : undefined;
  }

  /** `supervisor start` until it says it runs; the dev server it logged; the keep-alive has started the watcher. */
  async function start(): Promise<Launched> {
    const child = supervisor(['start']);
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const server = await waitFor(
      'supervisor start to run on the dev server',
      () => {
        if (child.exitCode !== null) throw new Error(`supervisor start exited:\n${stderr}`);
        const line = /temporal dev server \(temporal-cli\) running (\{.*\})/.exec(stderr)?.[1];
        return stderr.includes('supervisor running') && line !== undefined
          ? (JSON.parse(line) as Launched['server'])
          : undefined;
      },
      90_000,
    );
    serverPids.add(server.server_pid);
    await waitFor('the watcher', watcherPid, 30_000);
    return { child, server, stderr: () => stderr };
  }

  describeWithBinary('with the official binary', () => {
    it('runs worker, keep-alive and ingest on it, serves the Web UI, and stops it on SIGTERM', async () => {
      const { port, uiPort } = await setUp();
      const { child, server } = await start();
      expect(server.address).toBe(`127.0.0.1:${port}`);
      expect(server.ui).toBe(`http://127.0.0.1:${uiPort}`);
      expect(await isProcessAlive(server.server_pid)).toBe(true);

      const before = await watcherPid();
      const flag = await supervisor(['flag', 'restart_watcher', '--label', 'on the real server']);
      expect(flag.exitCode).toBe(0);
      const taskId = flag.stdout.trim();
      const result = await waitFor(
        'the restart_watcher result file',
        () =>
          existsSync(resultFilePath(config!, taskId))
            ? (JSON.parse(readFileSync(resultFilePath(config!, taskId), 'utf8')) as ResultFile)
            : undefined,
        60_000,
      );
      expect(result).toMatchObject({ task_id: taskId, success: true, label: 'on the real server' });
      expect(await waitFor('the new watcher', watcherPid, 30_000)).not.toBe(before);

      const ui = await fetch(server.ui);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toMatch(/<html/i);

      child.kill('SIGTERM');
      expect((await child).exitCode).toBe(0);
      expect(await isProcessAlive(server.server_pid)).toBe(false);
      expect(await portFree(port)).toBe(true);
      expect(await portFree(uiPort)).toBe(true);
      expect(existsSync(`${path.join(tmp(), 'var', 'temporal-cli.db')}.pid`)).toBe(false);
    }, 180_000);

    it('after a hard kill, which leaves start-dev running, the next start stops the leftover and runs', async () => {
      const { port, db } = await setUp();
      const first = await start();
      first.child.kill('SIGKILL');
      await first.child;
      // start-dev does not notice its parent's death: the server and its port are still there.
      expect(await isProcessAlive(first.server.server_pid)).toBe(true);
      expect(await portFree(port)).toBe(false);
      expect(existsSync(`${db}.pid`)).toBe(true);

      const second = await start();
      expect(second.stderr()).toContain('stopping the temporal dev server a previous start left running');
      expect(second.server.server_pid).not.toBe(first.server.server_pid);
      expect(await isProcessAlive(first.server.server_pid)).toBe(false);
      expect(second.server.address).toBe(`127.0.0.1:${port}`);

      second.child.kill('SIGTERM');
      expect((await second.child).exitCode).toBe(0);
      expect(await isProcessAlive(second.server.server_pid)).toBe(false);
      expect(await portFree(port)).toBe(true);
    }, 240_000);
  });

  it('without the binary, refuses to start and says how to install it', async () => {
    await setUp();
    const refused = await supervisor(['start'], {
      TEMPORAL_CLI: '/nonexistent/temporal',
      PATH: path.dirname(process.execPath),
    });
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain(
      'temporal.address is temporal-cli, but the official Temporal CLI is not installed',
    );
    expect(refused.stderr).toContain('scripts/install-temporal-cli.sh');
    expect(refused.stderr).not.toContain('supervisor running');
  });
});
