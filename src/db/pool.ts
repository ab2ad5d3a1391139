import { createRequire } from 'node:module';
import type { Connection, ConnectionOptions, Pool, PoolOptions, QueryResult } from 'mysql2/promise';
import type * as Mysql from 'mysql2/promise';
import type { Config } from '../config/schema.js';

/**
 * mysql2, loaded when a pool or connection is first made: most hosts run without a database (the NDJSON
 * audit), and every `supervisor start` and CLI call would otherwise load it (~50 ms, a few MB) for nothing.
 */
const mysql = (): typeof Mysql => createRequire(import.meta.url)('mysql2/promise');

export type DatabaseConfig = NonNullable<Config['database']>;

/** SPEC: database queries time out after 10 s. */
export const QUERY_TIMEOUT_MS = 10_000;
/** A server that does not answer must not hold an activity (or verify_db) for long. */
export const CONNECT_TIMEOUT_MS = 10_000;
/**
 * The whole wait of one query: a connection (made, or handed over by the pool) and the query itself.
 * mysql2 pools have no acquire timeout: against a frozen server a caller queued behind hung connections
 * would otherwise wait for each of them in turn.
 */
export const QUERY_DEADLINE_MS = CONNECT_TIMEOUT_MS + QUERY_TIMEOUT_MS;
/** Callers a pool keeps waiting for a connection at most; more are refused at once rather than queued. */
const POOL_QUEUE_LIMIT = 100;

/** A query that did not answer within QUERY_DEADLINE_MS; it may still run later (audit rows carry a key). */
export class QueryDeadlineExceeded extends Error {
  constructor() {
    super(`database did not answer within ${QUERY_DEADLINE_MS} ms`);
    this.name = 'QueryDeadlineExceeded';
  }
}

/** Where the database is, without the password: safe for logs and reports. */
export interface DatabaseTarget {
  host: string;
  port: number;
  user: string;
  database: string;
}

/** Host, port, user, password, database from `url` or the separate fields (url wins). */
export function connectionOptions(db: DatabaseConfig): ConnectionOptions & DatabaseTarget {
  const fields = db.url === undefined ? fromFields(db) : fromUrl(db.url);
  return {
    ...fields,
    // 'Z': mysql2 reads and writes DATETIME as UTC instead of the client's local zone.
    timezone: 'Z',
    connectTimeout: CONNECT_TIMEOUT_MS,
    supportBigNumbers: true,
    dateStrings: false,
  };
}

function fromFields(db: DatabaseConfig): DatabaseTarget & { password: string } {
  if (db.host === undefined || db.user === undefined || db.database === undefined) {
    // The schema already requires these without a url; this only satisfies the type checker.
    throw new Error('database: host, user and database are required without url');
  }
  return { host: db.host, port: db.port, user: db.user, password: db.password ?? '', database: db.database };
}

function fromUrl(url: string): DatabaseTarget & { password: string } {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: parsed.port === '' ? 3306 : Number(parsed.port),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
  };
}

/** The password-free description of the target, for reports and log lines. */
export function describeTarget(db: DatabaseConfig): DatabaseTarget {
  const { host, port, user, database } = connectionOptions(db);
  return { host, port, user, database };
}

/**
 * The supervisor's pool. Every new connection switches its session to UTC before any query of ours
 * runs (commands on one connection run in order), so NOW() and DATETIME columns mean UTC everywhere.
 */
export function createDbPool(db: DatabaseConfig, connectionLimit = 5): Pool {
  const options: PoolOptions = {
    ...connectionOptions(db),
    connectionLimit,
    queueLimit: POOL_QUEUE_LIMIT,
    // A reset on release would drop the session time zone.
    resetOnRelease: false,
    enableKeepAlive: true,
  };
  const pool = mysql().createPool(options);
  // The core pool emits the callback-style connection (the promise typings say otherwise).
  pool.pool.on('connection', (connection) => {
    connection.query("SET time_zone = '+00:00'", (error: unknown) => {
      if (error) connection.destroy();
    });
  });
  return pool;
}

/** One fresh connection in a UTC session: verify_db tests the connection itself, not the pool. */
export async function openConnection(db: DatabaseConfig): Promise<Connection> {
  const connection = await mysql().createConnection(connectionOptions(db));
  try {
    await connection.query({ sql: "SET time_zone = '+00:00'", timeout: QUERY_TIMEOUT_MS });
  } catch (error) {
    connection.destroy();
    throw error;
  }
  return connection;
}

/** Anything that runs queries: a pool, a pool connection or a plain connection. */
export interface Queryable {
  query<T extends QueryResult>(options: { sql: string; values?: unknown[]; timeout?: number }): Promise<[T, unknown]>;
}

/** A query with the 10 s timeout, waiting QUERY_DEADLINE_MS at most in all; always parameterised. */
export async function query<T extends QueryResult>(db: Queryable, sql: string, values: unknown[] = []): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueryDeadlineExceeded()), QUERY_DEADLINE_MS);
  });
  try {
    const [rows] = await Promise.race([db.query<T>({ sql, values, timeout: QUERY_TIMEOUT_MS }), deadline]);
    return rows;
  } finally {
    clearTimeout(timer);
  }
}
