/**
 * The chaos run's processes, each the built CLI as an operator runs it: the engine (`devserver --port P --db F`,
 * always the same port and file), the ingest (`ingest --worker …`, one for every worker id) and one `worker` per
 * worker id. Each can be SIGKILLed and started again; a start resolves on the process's ready line.
 */
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { pauseFlagPath } from '../../src/nas/paths.js';
import { testConfig } from '../helpers/config.js';
import type { MariaDbConfig } from '../helpers/mariadb.js';
import { distMain, root } from '../helpers/dist.js';
import { waitForOutput } from '../helpers/process.js';
import { CHAOS_WORKERS } from './plan.js';

/** One restartable process; `exits` counts the exits nobody asked for. */
export interface Role {
  readonly name: string;
  start(): Promise<void>;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
  readonly unexpectedExits: string[];
}

// Generous: a CLI start is ~1.5 s on an idle machine, several times that with every core busy.
const READY_MS = 120_000;

function role(name: string, args: string[], ready: string, logFile: string, env: Record<string, string>): Role {
  let child: ResultPromise<{ stdin: 'ignore'; all: true; buffer: false; reject: false }> | undefined;
  let killing = false;
  const unexpectedExits: string[] = [];
  const log = createWriteStream(logFile, { flags: 'a' });
  return {
    name,
    unexpectedExits,
    async start() {
      killing = false;
      const started = execa(process.execPath, [distMain, ...args], {
        cwd: root,
        env: { SUPERVISOR_CONFIG: '', ...env },
        reject: false,
        stdin: 'ignore',
        all: true,
        buffer: false,
      });
      child = started;
      started.all.pipe(log, { end: false });
      void started.then((result) => {
        if (!killing) unexpectedExits.push(`${name} exited by itself (${String(result.exitCode ?? result.signal)})`);
      });
      try {
        await waitForOutput({ stdout: started.all, once: started.once.bind(started) }, ready, READY_MS);
      } catch (error) {
        const output = await readFile(logFile, 'utf8').catch(() => '');
        throw new Error(`${name} not ready; its output ends:\n${output.slice(-2_000)}`, { cause: error });
      }
    },
    async kill() {
      if (child === undefined) return;
      killing = true;
      child.kill('SIGKILL');
      await child;
      child = undefined;
    },
  };
}

export interface Cluster {
  /** The engine's address, the same across its restarts. */
  address: string;
  engine: Role;
  ingest: Role;
  workers: Map<string, Role>;
  all(): Role[];
}

function configYaml(nasRoot: string, workerId: string, address: string, logFile: string): string {
  // The password stays in the environment, never in a file or a log.
  return `worker_id: ${workerId}
paths:
  nas_root: ${JSON.stringify(nasRoot)}
temporal:
  address: ${JSON.stringify(address)}
database:
  host: "\${CHAOS_DB_HOST}"
  port: \${CHAOS_DB_PORT}
  user: "\${CHAOS_DB_USER}"
  password: "\${CHAOS_DB_PASSWORD}"
  database: "\${CHAOS_DB_NAME}"
  critical_tables: [audit_log_t]
logging:
  file: ${JSON.stringify(logFile)}
http:
  enabled: false
`;
}

/**
 * Writes a configuration per process (one log file each) and a pause flag per worker, so the keep-alive keeps
 * the watcher stopped and the run is about flags alone.
 */
export async function makeCluster(dir: string, nasRoot: string, port: number, db: MariaDbConfig): Promise<Cluster> {
  const address = `127.0.0.1:${String(port)}`;
  const env = {
    CHAOS_DB_HOST: db.host,
    CHAOS_DB_PORT: String(db.port),
    CHAOS_DB_USER: db.user,
    CHAOS_DB_PASSWORD: db.password,
    CHAOS_DB_NAME: db.database,
  };
  const configFor = async (who: string, workerId: string): Promise<string> => {
    const file = path.join(dir, `${who}.yaml`);
    await writeFile(file, configYaml(nasRoot, workerId, address, path.join(dir, `${who}.log`)));
    return file;
  };
  const out = (who: string): string => path.join(dir, `${who}.out`);
  const engine = role(
    'engine',
    ['devserver', '--port', String(port), '--db', path.join(dir, 'temporal.db'), '--log-level', 'warn'],
    address,
    out('engine'),
    env,
  );
  const ingestArgs = ['--config', await configFor('ingest', 'W1'), 'ingest'];
  for (const id of CHAOS_WORKERS) ingestArgs.push('--worker', id);
  const ingest = role('ingest', ingestArgs, 'ingest watching the inbox', out('ingest'), env);
  const workers = new Map<string, Role>();
  for (const id of CHAOS_WORKERS) {
    const pause = {
      worker_id: id,
      paused_by: 'chaos',
      paused_at: new Date().toISOString(),
      label: null,
      task_id: null,
    };
    await writeFile(pauseFlagPath(testConfig(nasRoot, {}, id)), JSON.stringify(pause));
    const config = await configFor(`worker-${id}`, id);
    workers.set(
      id,
      role(`worker ${id}`, ['--config', config, 'worker'], 'supervisor worker running', out(`worker-${id}`), env),
    );
  }
  return { address, engine, ingest, workers, all: () => [engine, ingest, ...workers.values()] };
}
