import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createLogger, formatConsoleLine } from '../../src/observability/logger.js';
import { makeTempDir } from '../helpers/tmp.js';

describe('logger', () => {
  it('writes console lines in the house format, with metadata as JSON', () => {
    const lines: string[] = [];
    const { logger } = createLogger({ level: 'info', console: { write: (line) => lines.push(line) } });
    logger.child({ component: 'ingest' }).warn({ file: 'a.flag' }, 'flag rejected');
    logger.debug({}, 'below the level');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\[\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\] \[SUPERVISOR\] \[WARN\] flag rejected \{"component":"ingest","file":"a.flag"\}\n$/,
    );
  });

  it('formats a bare message without a metadata suffix', () => {
    expect(formatConsoleLine({ time: Date.UTC(2026, 1, 5, 14, 30, 15, 234), level: 30, msg: 'hello' })).toBe(
      '[2026-02-05T14:30:15.234Z] [SUPERVISOR] [INFO] hello\n',
    );
  });

  it('writes JSON lines to the file and rotates by size, keeping the configured number of files', async () => {
    const dir = await makeTempDir('logger');
    try {
      const file = path.join(dir.path, '05_LOGS', 'supervisor.log');
      const { logger, close } = createLogger({
        level: 'info',
        file,
        rotationSize: 2048,
        keepFiles: 2,
        console: { write: () => true },
      });
      for (let i = 0; i < 200; i++) logger.info({ i, padding: 'x'.repeat(40) }, 'line');
      await close();
      const names = readdirSync(path.dirname(file)).sort();
      expect(names).toEqual(['supervisor.log', 'supervisor.log.1', 'supervisor.log.2']);
      const last = readFileSync(file, 'utf8').trim().split('\n').pop() ?? '';
      expect(JSON.parse(last)).toMatchObject({ level: 30, msg: 'line', i: 199 });
    } finally {
      await dir.cleanup();
    }
  });

  it('keeps logging to the file when the console is gone: a destroyed or throwing console is skipped', async () => {
    const dir = await makeTempDir('logger');
    try {
      const file = path.join(dir.path, 'supervisor.log');
      const consoles = [
        {
          destroyed: true,
          write: () => {
            throw new Error('write after end');
          },
        },
        {
          write: () => {
            throw Object.assign(new Error('EPIPE'), { code: 'EPIPE' });
          },
        },
      ];
      for (const [index, sink] of consoles.entries()) {
        const { logger, close } = createLogger({ level: 'info', file: `${file}.${index}`, console: sink });
        expect(() => logger.info({}, 'shutdown requested')).not.toThrow();
        logger.info({}, 'stopped');
        await close();
        expect(
          readFileSync(`${file}.${index}`, 'utf8')
            .trim()
            .split('\n')
            .map((line) => (JSON.parse(line) as { msg: string }).msg),
        ).toEqual(['shutdown requested', 'stopped']);
      }
    } finally {
      await dir.cleanup();
    }
  });
});
