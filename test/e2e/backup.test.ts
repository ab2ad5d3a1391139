/**
 * `supervisor backup` / `restore` through the built CLI against `supervisor devserver` processes with a data
 * file: a backup taken while the engine runs (and keeps writing) replays to the runs it had, a restore is
 * refused while an engine holds the file and works once it stopped, saving the file it replaced.
 */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { assertFreshDist, distCli, distMain } from '../helpers/dist.js';
import { useTempDir } from '../helpers/tmp.js';

const TASK_QUEUE = 'backup-e2e';

interface Engine {
  child: ResultPromise;
  client: Client;
  connection: Connection;
  stop(): Promise<void>;
}

const engines: Engine[] = [];

/** `supervisor devserver --port 0 --db FILE`, and a client on the address it prints. */
async function startEngine(db: string): Promise<Engine> {
  const child = execa(process.execPath, [distMain, 'devserver', '--port', '0', '--db', db], {
    reject: false,
    env: { SUPERVISOR_CONFIG: '' },
  });
  const address = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const line = /^(\S+:\d+)\n/.exec(seen);
      if (line?.[1] !== undefined) resolve(line[1]);
    });
    void child.then((result) => reject(new Error(`devserver exited before listening: ${result.stderr}`)));
  });
  // A generous first call: the engine just started, perhaps on a busy machine.
  const connection = await Connection.connect({ address, connectTimeout: '60s' });
  const engine: Engine = {
    child,
    connection,
    client: new Client({ connection }),
    stop: async () => {
      await connection.close();
      child.kill('SIGTERM');
      await child;
    },
  };
  engines.push(engine);
  return engine;
}

/** Every run the engine lists, as `workflowId runId status`, sorted. */
async function runsOf(client: Client): Promise<string[]> {
  const out: string[] = [];
  for await (const wf of client.workflow.list()) out.push(`${wf.workflowId} ${wf.runId} ${wf.status.name}`);
  return out.sort();
}

async function historyLength(client: Client, workflowId: string): Promise<number> {
  return (await client.workflow.getHandle(workflowId).fetchHistory()).events?.length ?? 0;
}

describe('supervisor backup / restore', () => {
  const tmp = useTempDir('backup-e2e-');

  beforeAll(() => assertFreshDist());

  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.stop().catch(() => undefined);
  });

  it('backs up a running engine that keeps writing; the copy replays to the same runs', async () => {
    const db = path.join(tmp(), 'temporal.db');
    const engine = await startEngine(db);
    const { client } = engine;
    for (let i = 0; i < 5; i += 1) {
      const handle = await client.workflow.start('noWorkerNeeded', {
        taskQueue: TASK_QUEUE,
        workflowId: `before-${i}`,
      });
      await handle.signal('poke', i);
    }
    await client.workflow.getHandle('before-4').terminate('closed before the backup');
    const before = await runsOf(client);

    // Writes that race the backup: whatever of them it holds, it must hold whole.
    let racing = true;
    const racer = (async () => {
      for (let i = 0; racing; i += 1)
        await client.workflow.start('noWorkerNeeded', { taskQueue: TASK_QUEUE, workflowId: `during-${i}` });
    })();
    const backup = path.join(tmp(), 'backup.db');
    const result = await distCli(['backup', backup, '--db', db]);
    racing = false;
    await racer;
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`written to ${backup}`);
    const counted = /verified by replay: \d+ records, \d+ bytes: (\d+) runs/.exec(result.stdout);
    expect(counted).not.toBeNull();

    const copy = await startEngine(backup);
    const restored = await runsOf(copy.client);
    expect(restored.length).toBe(Number(counted?.[1]));
    expect(restored.filter((run) => run.startsWith('before-'))).toEqual(before);
    expect(restored.every((run) => /^(before|during)-\d+ /.test(run))).toBe(true);
    for (let i = 0; i < 5; i += 1)
      expect(await historyLength(copy.client, `before-${i}`)).toBe(await historyLength(client, `before-${i}`));
  });

  it('refuses to restore over a running engine, and restores once it stopped, saving the replaced file', async () => {
    const db = path.join(tmp(), 'temporal.db');
    const config = path.join(tmp(), 'supervisor.yaml');
    writeFileSync(config, `worker_id: w1\ntemporal:\n  embedded:\n    db: ${db}\n`);
    const engine = await startEngine(db);
    await engine.client.workflow.start('noWorkerNeeded', { taskQueue: TASK_QUEUE, workflowId: 'kept' });
    const backup = path.join(tmp(), 'backup.db');
    expect((await distCli(['--config', config, 'backup', backup])).exitCode).toBe(0);
    await engine.client.workflow.start('noWorkerNeeded', { taskQueue: TASK_QUEUE, workflowId: 'after-backup' });
    const live = await runsOf(engine.client);

    const refused = await distCli(['--config', config, 'restore', backup]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/refusing to restore: database .* is in use by process \d+/);
    expect(await runsOf(engine.client)).toEqual(live);

    await engines.splice(engines.indexOf(engine), 1)[0]?.stop();
    const beforeRestore = readFileSync(db);
    const done = await distCli(['--config', config, 'restore', backup]);
    expect(done.stderr).toBe('');
    expect(done.exitCode).toBe(0);
    const saved = /the replaced file is saved as (\S+)/.exec(done.stdout)?.[1];
    expect(saved).toBeDefined();
    expect(existsSync(saved as string)).toBe(true);
    expect(readFileSync(saved as string).equals(beforeRestore)).toBe(true);

    const back = await startEngine(db);
    const runs = await runsOf(back.client);
    expect(runs.map((run) => run.split(' ')[0])).toEqual(['kept']);
  });

  it('refuses a file that is not a database, and an in-memory engine, with a clear message', async () => {
    const junk = path.join(tmp(), 'junk.db');
    writeFileSync(junk, 'not a database at all');
    const restore = await distCli(['restore', junk, '--db', path.join(tmp(), 'temporal.db')]);
    expect(restore.exitCode).toBe(1);
    expect(restore.stderr).toContain('not a devserver database');
    expect(existsSync(path.join(tmp(), 'temporal.db'))).toBe(false);
    const memory = await distCli(['backup', path.join(tmp(), 'b.db'), '--db', ':memory:']);
    expect(memory.exitCode).toBe(2);
    expect(memory.stderr).toContain(':memory:');
  });
});
