import { describe, expect, it } from '@jest/globals';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { useTempDir } from '../helpers/tmp.js';

const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const main = path.join(root, 'src/cli/main.ts');

/** Runs the real CLI from source in `cwd`; never throws on a non-zero exit. */
function supervisor(args: string[], cwd = root, env: Record<string, string> = {}) {
  return execa(tsx, [main, ...args], { cwd, reject: false, env: { SUPERVISOR_CONFIG: '', ...env }, extendEnv: true });
}

/** Resolves with everything written to stderr once `pattern` appears in it. */
function waitForStderr(child: ResultPromise, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) resolve(seen);
    });
    child.once('exit', () => reject(new Error(`exited before ${String(pattern)}:\n${seen}`)));
    setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no ${String(pattern)} within 60 s:\n${seen}`));
    }, 60_000).unref();
  });
}

/** Resolves once `file` exists (polling: the writer renames it into place atomically). */
async function waitForFile(file: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A bound for a test that runs a whole `supervisor start` and more CLI calls (each a tsx start): a few seconds
 * on an idle machine, over a minute on two busy cores; an upper bound for a hang, not a speed.
 */
const WHOLE_SUPERVISOR_MS = 180_000;

describe('supervisor CLI', () => {
  const tmp = useTempDir('cli-');

  /** `supervisor start` on the embedded engine (any free ports) for `workerId`, once it says it runs. */
  async function startEmbedded(workerId: string) {
    const file = path.join(tmp(), 'supervisor.yaml');
    writeFileSync(file, `worker_id: ${workerId}\ntemporal:\n  embedded:\n    port: 0\nhttp:\n  port: 0\n`);
    const child = supervisor(['--config', file, 'start'], tmp());
    const stderr = await waitForStderr(child, /supervisor running: worker, keep-alive, health schedule and ingest/);
    return { file, child, stderr };
  }

  it('prints its version and help', async () => {
    const version = await supervisor(['--version']);
    const { version: expected } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(version.exitCode).toBe(0);
    expect(version.stdout.trim()).toBe(expected);
    const help = await supervisor(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/Usage: supervisor/);
    expect(help.stdout).toMatch(/start\s/);
    expect(help.stdout).toMatch(/devserver\s/);
  });

  it('rejects an unknown command or option with exit code 2', async () => {
    const command = await supervisor(['frobnicate']);
    expect(command.exitCode).toBe(2);
    expect(command.stderr).toMatch(/unknown command 'frobnicate'/);
    const option = await supervisor(['start', '--frobnicate']);
    expect(option.exitCode).toBe(2);
    expect(option.stderr).toMatch(/unknown option '--frobnicate'/);
  });

  it('refuses a bad configuration listing every problem, exit code 2, before touching anything', async () => {
    const file = path.join(tmp(), 'bad.yaml');
    writeFileSync(
      file,
      'worker_id: w1\npaths:\n  nas_root: nas\nhttp:\n  port: high\nwatcher:\n  stop_timeout: soon\n',
    );
    const result = await supervisor(['--config', file, 'start'], tmp());
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`invalid configuration in ${file}:`);
    expect(result.stderr).toContain('http.port: ');
    expect(result.stderr).toContain('watcher.stop_timeout: expected a duration');
    expect(existsSync(path.join(tmp(), 'nas'))).toBe(false);
  });

  it('prints the resolved configuration with secrets redacted', async () => {
    const file = path.join(tmp(), 'supervisor.yaml');
    writeFileSync(
      file,
      'worker_id: w1\ndatabase:\n  host: db\n  user: u\n  database: ops\n  password: ${DB_PASSWORD}\n' +
        'http:\n  operator_tokens:\n    alice: ${PANEL_TOKEN}\n',
    );
    const token = 'panel-token-0123456789abcdef';
    const result = await supervisor(['--config', file, 'config'], tmp(), {
      DB_PASSWORD: 'hunter2-secret',
      PANEL_TOKEN: token,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).not.toContain('hunter2-secret');
    expect(result.stdout).not.toContain(token);
    const printed = JSON.parse(result.stdout.split('\n').slice(1).join('\n')) as {
      database: { password: string };
      http: { operator_tokens: Record<string, string> };
      paths: { inbox: string };
    };
    expect(printed.database.password).toBe('***');
    expect(printed.http.operator_tokens).toEqual({ alice: '***' });
    expect(printed.paths.inbox).toBe(path.join(tmp(), 'var/nas/Worker_Inbox'));
  });

  it('runs the commands that need no database with a database variable unset; start and worker refuse, naming it', async () => {
    const file = path.join(tmp(), 'supervisor.yaml');
    writeFileSync(
      file,
      'worker_id: w1\ndatabase:\n  host: db\n  user: u\n  database: ops\n  password: "${DB_PASSWORD}"\n',
    );
    const unset = { DB_PASSWORD: undefined as unknown as string };
    const missing = 'database.password: environment variable DB_PASSWORD is not set';
    for (const command of [['start'], ['worker', '--address', '127.0.0.1:1']]) {
      const refused = await supervisor(['--config', file, ...command], tmp(), unset);
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toContain(missing);
    }
    expect(existsSync(path.join(tmp(), 'var/nas'))).toBe(false);

    const config = await supervisor(['--config', file, 'config'], tmp(), unset);
    expect(config.exitCode).toBe(0);
    expect(config.stdout).toContain(`# database: unusable until set: ${missing}`);
    const inbox = path.join(tmp(), 'var/nas/Worker_Inbox');
    mkdirSync(inbox, { recursive: true });
    mkdirSync(path.join(tmp(), 'var/nas/00_STATE'), { recursive: true });
    const flag = await supervisor(['--config', file, 'flag', 'diagnostics'], tmp(), unset);
    expect(flag.exitCode).toBe(0);
    expect(readdirSync(inbox)).toEqual([`supervisor_diagnostics_w1.flag`]);
    const drain = await supervisor(['--config', file, 'drain'], tmp(), unset);
    expect(drain.exitCode).toBe(0);
    expect(existsSync(path.join(tmp(), 'var/nas/00_STATE/supervisor_drain_w1.flag'))).toBe(true);
    expect((await supervisor(['--config', file, 'events'], tmp(), unset)).exitCode).toBe(0);
    const status = await supervisor(['--config', file, 'status', '--json', '--address', '127.0.0.1:1'], tmp(), unset);
    expect(status.exitCode).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      worker_id: 'w1',
      watcher_state: 'stopped',
      temporal: { reachable: false },
    });
  });

  it(
    'start runs engine, worker and ingest: a flag from `supervisor flag` becomes a workflow with a result, and SIGTERM stops it',
    async () => {
      const { file, child, stderr } = await startEmbedded('w1');
      const address = /embedded Temporal engine listening \{"address":"([^"]+)"\}/.exec(stderr)?.[1];
      expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
      for (const folder of ['Worker_Inbox', 'Worker_Outbox', '00_STATE', '05_LOGS/diagnostics']) {
        expect(existsSync(path.join(tmp(), 'var/nas', folder))).toBe(true);
      }
      expect(existsSync(path.join(tmp(), 'var/temporal.db'))).toBe(true);
      const http =
        /http endpoints listening: \/metrics, \/healthz, \/readyz \{"component":"http","address":"([^"]+)"\}/.exec(
          stderr,
        )?.[1];
      const readyz = await fetch(`http://${http ?? ''}/readyz`);
      expect(await readyz.json()).toEqual({ ready: true, checks: { worker: true, temporal: true } });
      expect(await (await fetch(`http://${http ?? ''}/metrics`)).text()).toContain(
        'supervisor_worker_running{worker_id="w1"} 1',
      );

      const flag = await supervisor(['--config', file, 'flag', 'diagnostics', '--label', 'e2e check'], tmp());
      expect(flag.exitCode).toBe(0);
      const taskId = flag.stdout.trim();
      const result = path.join(tmp(), 'var/nas/Worker_Outbox', 'w1', `${taskId}.result.json`);
      await waitForFile(result);
      expect(JSON.parse(readFileSync(result, 'utf8'))).toMatchObject({
        success: true,
        task_id: taskId,
        label: 'e2e check',
      });
      // The web panel on the same port lists the task (read-only: no operator token configured).
      const panel = await fetch(`http://${http ?? ''}/`);
      expect(panel.status).toBe(200);
      expect(panel.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await panel.text()).toContain(taskId);
      const events = await supervisor(['--config', file, 'events', '--type', 'flag_accepted', 'task_completed'], tmp());
      const lines = events.stdout
        .trim()
        .split('\n')
        .map(
          (line) => JSON.parse(line) as { v: number; type: string; task_id: string; worker_id: string; label: string },
        );
      expect(lines.filter((event) => event.task_id === taskId).map((event) => event.type)).toEqual([
        'flag_accepted',
        'task_completed',
      ]);
      expect(lines.every((event) => event.v === 1 && event.worker_id === 'w1')).toBe(true);
      const connection = await Connection.connect({ address });
      try {
        const described = await connection.workflowService.describeWorkflowExecution({
          namespace: 'default',
          execution: { workflowId: `w1/${taskId}` },
        });
        expect(described.workflowExecutionInfo?.type?.name).toBe('diagnostics');
      } finally {
        await connection.close();
      }

      // The keep-alive started the sample watcher; it outlives the supervisor by design (found again by its pid file).
      const pidFile = path.join(tmp(), 'var/nas/00_STATE/watcher_w1.pid');
      await waitForFile(pidFile);
      child.kill('SIGTERM');
      expect((await child).exitCode).toBe(0);
      const watcherPid = Number(/\d+/.exec(readFileSync(pidFile, 'utf8'))?.[0]);
      expect(() => process.kill(watcherPid, 0)).not.toThrow();
      process.kill(-watcherPid, 'SIGTERM');
      const logLines = readFileSync(path.join(tmp(), 'var/nas/05_LOGS/supervisor.log'), 'utf8').trim().split('\n');
      expect(logLines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(
        expect.arrayContaining(['configuration valid; folders ready', 'shutdown requested', 'stopped']),
      );
    },
    WHOLE_SUPERVISOR_MS,
  );

  it(
    'shuts down cleanly on SIGINT after its stdout and stderr were closed (EPIPE): engine lock released, log complete',
    async () => {
      const { child } = await startEmbedded('w2');
      const lockFile = path.join(tmp(), 'var/temporal.db.lock');
      expect(existsSync(lockFile)).toBe(true);
      // `supervisor start 2>&1 | tee log` and Ctrl-C: the reader is gone before the supervisor logs its shutdown.
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.kill('SIGINT');
      const result = await child;
      expect({ exitCode: result.exitCode, signal: result.signal }).toEqual({ exitCode: 0, signal: undefined });
      expect(existsSync(lockFile)).toBe(false);
      const messages = readFileSync(path.join(tmp(), 'var/nas/05_LOGS/supervisor.log'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { msg: string }).msg);
      expect(messages).toEqual(expect.arrayContaining(['shutdown requested', 'stopped']));
      const pidFile = path.join(tmp(), 'var/nas/00_STATE/watcher_w2.pid');
      if (existsSync(pidFile)) process.kill(-Number(/\d+/.exec(readFileSync(pidFile, 'utf8'))?.[0]), 'SIGTERM');
    },
    WHOLE_SUPERVISOR_MS,
  );

  it('events --follow ends quietly when its reader goes away', async () => {
    const file = path.join(tmp(), 'supervisor.yaml');
    writeFileSync(file, 'worker_id: w3\n');
    const events = path.join(tmp(), 'var/nas/05_LOGS/events.ndjson');
    mkdirSync(path.dirname(events), { recursive: true });
    const line = (n: number) =>
      `${JSON.stringify({ v: 1, type: 'watcher_restarted', at: new Date().toISOString(), worker_id: 'w3', n })}\n`;
    writeFileSync(events, line(1));
    const child = supervisor(['--config', file, 'events', '--follow'], tmp());
    await new Promise((resolve) => child.stdout?.once('data', resolve));
    child.stdout?.destroy();
    // Each new event is a write to the closed pipe; the first one ends the command.
    const writer = setInterval(() => appendFileSync(events, line(2)), 200);
    try {
      const result = await child;
      expect({ exitCode: result.exitCode, signal: result.signal }).toEqual({ exitCode: 0, signal: undefined });
    } finally {
      clearInterval(writer);
    }
  });

  it('devserver prints the address it listens on', async () => {
    const child = supervisor(['devserver', '--port', '0', '--db', path.join(tmp(), 'temporal.db')], tmp());
    const address = await new Promise<string>((resolve) =>
      child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())),
    );
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    const connection = await Connection.connect({ address });
    try {
      const namespace = await connection.workflowService.describeNamespace({ namespace: 'default' });
      expect(namespace.namespaceInfo?.name).toBe('default');
    } finally {
      await connection.close();
    }
    child.kill('SIGTERM');
    expect((await child).exitCode).toBe(0);
  });
});
