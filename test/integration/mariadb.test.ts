import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RowDataPacket } from 'mysql2/promise';
import { createConnection } from 'mysql2/promise';
import type { MariaDbHarness } from '../helpers/mariadb.js';
import { mariadbInstallCommand, startMariaDb } from '../helpers/mariadb.js';
import { isProcessAlive } from '../helpers/process.js';
import { makeTempDir } from '../helpers/tmp.js';

describe('MariaDB test harness', () => {
  let db: MariaDbHarness | undefined;

  beforeAll(async () => {
    db = await startMariaDb({ database: 'harness_check' });
  });

  afterAll(async () => {
    await db?.stop();
  });

  const harness = (): MariaDbHarness => {
    if (!db) throw new Error('harness did not start');
    return db;
  };

  it('serves SELECT NOW() in a UTC session through the pool', async () => {
    const [rows] = await harness().pool.query<RowDataPacket[]>(
      'SELECT NOW() AS now, UTC_TIMESTAMP() AS utc, @@session.time_zone AS tz, DATABASE() AS db',
    );
    const row = rows[0];
    expect(row?.tz).toBe('+00:00');
    expect(row?.db).toBe('harness_check');
    expect(row?.now).toBeInstanceOf(Date);
    expect((row?.now as Date).getTime()).toBe((row?.utc as Date).getTime());
    // timezone 'Z' on the pool: the Date read back is the real instant, not shifted by the server zone.
    expect(Math.abs((row?.now as Date).getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('keeps UTC on every pooled connection, not only the first', async () => {
    const { pool } = harness();
    const connections = await Promise.all([1, 2, 3].map(() => pool.getConnection()));
    try {
      for (const connection of connections) {
        const [rows] = await connection.query<RowDataPacket[]>('SELECT @@session.time_zone AS tz');
        expect(rows[0]?.tz).toBe('+00:00');
      }
    } finally {
      connections.forEach((connection) => connection.release());
    }
  });

  it('runs the server in a non-UTC zone so a forgotten session setting shows up', async () => {
    const { config } = harness();
    const raw = await createConnection(config);
    try {
      const [rows] = await raw.query<RowDataPacket[]>('SELECT @@session.time_zone AS tz');
      expect(rows[0]?.tz).toBe('+03:00');
    } finally {
      await raw.end();
    }
  });

  it('stop() ends mariadbd and removes its temp dir', async () => {
    const { pid, dir, stop } = harness();
    expect(await isProcessAlive(pid)).toBe(true);
    expect(existsSync(dir)).toBe(true);
    await stop();
    expect(await isProcessAlive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    await stop(); // idempotent, so afterAll may call it again
  });
});

describe('MariaDB harness without mariadbd', () => {
  it('fails with the exact install command', async () => {
    const empty = await makeTempDir('ts-no-mariadb-');
    try {
      const attempt = startMariaDb({ binDirs: [empty.path] });
      await expect(attempt).rejects.toThrow(mariadbInstallCommand());
      expect(mariadbInstallCommand()).toMatch(/apt-get update && (sudo )?apt-get install -y mariadb-server$/);
    } finally {
      await empty.cleanup();
    }
  });
});
