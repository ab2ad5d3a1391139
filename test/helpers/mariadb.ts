import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import type { Pool } from 'mysql2/promise';
import { createConnection, createPool } from 'mysql2/promise';
import { freePort } from './process.js';
import { makeTempDir } from './tmp.js';

export interface MariaDbConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface MariaDbHarness {
  /** mysql2 pool as the app user; every connection runs with session time_zone '+00:00'. */
  pool: Pool;
  config: MariaDbConfig;
  /** pid of mariadbd, so tests can check it is gone after stop() (or freeze it); a restart() changes it. */
  readonly pid: number;
  /** Temp dir holding datadir, socket, pid file and error.log; removed by stop(). */
  dir: string;
  /** Unix socket where root connects without a password (admin work outside `database`). */
  socketPath: string;
  stop: () => Promise<void>;
  /** Shuts the server down cleanly, keeping its datadir and port for restart(): a database outage. */
  shutdown: () => Promise<void>;
  /** Starts the server again on the same datadir and port; resolves once it takes connections. */
  restart: () => Promise<void>;
}

export interface StartMariaDbOptions {
  database?: string;
  /** Directories searched for mariadbd / mariadb-install-db instead of PATH + sbin dirs. */
  binDirs?: string[];
  /**
   * Server default time zone. Deliberately not UTC, so code that forgets to set the session time
   * zone fails its tests instead of passing by luck on a UTC machine.
   */
  serverTimeZone?: string;
  startTimeoutMs?: number;
}

const isRoot = process.getuid?.() === 0;

export function mariadbInstallCommand(): string {
  return isRoot
    ? 'apt-get update && apt-get install -y mariadb-server'
    : 'sudo apt-get update && sudo apt-get install -y mariadb-server';
}

function findBinary(name: string, dirs: string[]): string | undefined {
  return dirs.map((dir) => join(dir, name)).find((candidate) => existsSync(candidate));
}

function defaultBinDirs(): string[] {
  // Debian puts mariadbd in /usr/sbin, which is not on a normal user's PATH.
  const path = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  return [...path, '/usr/sbin', '/usr/local/sbin', '/usr/bin'];
}

// Speed over durability: this server lives for one test file.
const FAST_SERVER_ARGS = [
  '--skip-log-bin',
  '--skip-name-resolve',
  '--innodb-buffer-pool-size=16M',
  '--innodb-log-file-size=8M',
  '--innodb-flush-log-at-trx-commit=0',
  '--innodb-doublewrite=0',
  // Containers often forbid io_uring/libaio; plain threads always work.
  '--innodb-use-native-aio=0',
  '--performance-schema=OFF',
  '--character-set-server=utf8mb4',
  '--collation-server=utf8mb4_unicode_ci',
];
// mariadbd refuses to run as root unless told to; --user=root spares a chown of the temp dir.
const USER_ARGS = isRoot ? ['--user=root'] : [];

async function waitUntilReady(
  server: { exited: () => boolean },
  socketPath: string,
  errorLog: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.exited()) {
      const log = await readFile(errorLog, 'utf8').catch(() => '');
      throw new Error(`mariadbd exited during startup:\n${log.split('\n').slice(-15).join('\n')}`);
    }
    try {
      const connection = await createConnection({ socketPath, user: 'root' });
      await connection.end();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`mariadbd not ready after ${timeoutMs} ms`, { cause: error });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts a throwaway MariaDB on 127.0.0.1 with one database and one user. Always call stop(). */
export async function startMariaDb(options: StartMariaDbOptions = {}): Promise<MariaDbHarness> {
  const dirs = options.binDirs ?? defaultBinDirs();
  const mariadbd = findBinary('mariadbd', dirs);
  const installDb = findBinary('mariadb-install-db', dirs);
  if (!mariadbd || !installDb) {
    const where = dirs.join(', ');
    throw new Error(`MariaDB server not found (mariadbd in ${where}). Install it with:\n  ${mariadbInstallCommand()}`);
  }
  const temp = await makeTempDir('ts-mariadb-');
  try {
    return await launch(mariadbd, installDb, temp.path, options, temp.cleanup);
  } catch (error) {
    await temp.cleanup();
    throw error;
  }
}

async function launch(
  mariadbd: string,
  installDb: string,
  dir: string,
  options: StartMariaDbOptions,
  cleanup: () => Promise<void>,
): Promise<MariaDbHarness> {
  const dataDir = join(dir, 'data');
  // normal auth: root@localhost without password over the socket, whichever OS user runs the tests.
  await execa(
    installDb,
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      // Its own temp dir, as the server gets: in the shared /tmp another process may remove its files.
      `--tmpdir=${dir}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      ...USER_ARGS,
      ...FAST_SERVER_ARGS,
    ],
    { timeout: 60_000, stdin: 'ignore' },
  );
  let current = await startServer(mariadbd, dir, options);
  const { port } = current;
  const kill = async (signal: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
    // On SIGTERM mariadbd shuts down cleanly; forceKillAfterDelay sends SIGKILL if that takes over 20 s.
    // SIGCONT first: a server a test froze cannot act on the signal.
    current.server.kill('SIGCONT');
    current.server.kill(signal);
    await current.server;
  };
  let config: MariaDbConfig;
  try {
    config = await createAppUser(join(dir, SOCKET), port, options.database ?? 'supervisor_test');
  } catch (error) {
    await kill('SIGKILL');
    throw error;
  }
  const pool = createUtcPool(config);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await pool.end().catch(() => undefined);
      await kill('SIGTERM');
      await cleanup();
    })();
    return stopped;
  };
  return {
    pool,
    config,
    get pid() {
      return current.pid;
    },
    dir,
    socketPath: join(dir, SOCKET),
    stop,
    shutdown: () => kill('SIGTERM'),
    restart: async () => {
      current = await startServer(mariadbd, dir, { ...options, port });
    },
  };
}

const SOCKET = 'mariadb.sock';

async function startServer(mariadbd: string, dir: string, options: StartMariaDbOptions & { port?: number }) {
  const errorLog = join(dir, 'error.log');
  let lastError: unknown;
  // A port found free can be taken before mariadbd binds it; a fresh port on retry settles that (a restart
  // keeps its port, which clients know).
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = options.port ?? (await freePort());
    const server = execa(
      mariadbd,
      [
        '--no-defaults',
        `--datadir=${join(dir, 'data')}`,
        `--socket=${join(dir, SOCKET)}`,
        `--pid-file=${join(dir, 'mariadb.pid')}`,
        `--log-error=${errorLog}`,
        `--tmpdir=${dir}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--default-time-zone=${options.serverTimeZone ?? '+03:00'}`,
        ...USER_ARGS,
        ...FAST_SERVER_ARGS,
      ],
      { reject: false, stdio: 'ignore', forceKillAfterDelay: 20_000 },
    );
    let exited = false;
    void server.finally(() => {
      exited = true;
    });
    try {
      if (server.pid === undefined) throw new Error(`could not start ${mariadbd}`);
      const probe = { exited: () => exited };
      await waitUntilReady(probe, join(dir, SOCKET), errorLog, options.startTimeoutMs ?? 30_000);
      return { server, port, pid: server.pid };
    } catch (error) {
      lastError = error;
      server.kill('SIGKILL');
      await server;
    }
  }
  throw lastError;
}

async function createAppUser(socketPath: string, port: number, database: string): Promise<MariaDbConfig> {
  const password = randomBytes(12).toString('hex');
  const config = { host: '127.0.0.1', port, user: 'supervisor', password, database };
  const admin = await createConnection({ socketPath, user: 'root' });
  try {
    await admin.query(`CREATE DATABASE \`${database}\``);
    // 127.0.0.1, not localhost: with --skip-name-resolve TCP clients are matched by address.
    await admin.query("CREATE USER 'supervisor'@'127.0.0.1' IDENTIFIED BY ?", [config.password]);
    await admin.query(`GRANT ALL PRIVILEGES ON \`${database}\`.* TO 'supervisor'@'127.0.0.1'`);
  } finally {
    await admin.end();
  }
  return config;
}

function createUtcPool(config: MariaDbConfig): Pool {
  // timezone 'Z' makes mysql2 read DATETIME as UTC; the session setting makes NOW() UTC on the server.
  // resetOnRelease stays off: a connection reset would drop the session time zone.
  const pool = createPool({ ...config, timezone: 'Z', connectionLimit: 5, resetOnRelease: false });
  // The core pool, not the promise wrapper: its 'connection' event hands out the callback connection
  // (the promise typings claim otherwise). Commands on one connection run in order, so this lands
  // before any query of the test.
  pool.pool.on('connection', (connection) => {
    connection.query("SET time_zone = '+00:00'", (error) => {
      if (error) connection.destroy();
    });
  });
  return pool;
}
