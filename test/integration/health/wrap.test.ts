import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import type { Heartbeat } from '../../../src/lib/watcher-heartbeat.js';
import { readHeartbeat } from '../../helpers/fake-watcher.js';
import { waitFor } from '../../helpers/process.js';
import { makeTempDir } from '../../helpers/tmp.js';
import type { TempDir } from '../../helpers/tmp.js';

const WRAP = fileURLToPath(new URL('./wrap-main.ts', import.meta.url));

describe('supervisor wrap', () => {
  let temp: TempDir;
  afterEach(async () => {
    await temp?.cleanup();
  });

  const wrap = (file: string, script: string, extra: string[] = []) =>
    execa(
      process.execPath,
      [
        '--import',
        'tsx',
        WRAP,
        'wrap',
        '--heartbeat',
        file,
        '--interval',
        '50ms',
        ...extra,
        '--',
        process.execPath,
        '-e',
        script,
      ],
      { reject: false },
    );

  it('passes the exit code through, and the output', async () => {
    temp = await makeTempDir('ts-wrap-');
    const result = await wrap(path.join(temp.path, 'hb.json'), 'console.log("hello"); process.exit(3)');
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe('hello');
  });

  it('beats while the program runs and talks, stops beating when it goes silent', async () => {
    temp = await makeTempDir('ts-wrap-');
    const file = path.join(temp.path, 'hb.json');
    // Talks for 1 s, then says nothing for 1.5 s, then exits 0.
    const script =
      'const t = setInterval(() => console.log("tick"), 50); setTimeout(() => clearInterval(t), 1000); setTimeout(() => process.exit(0), 2500)';
    const run = wrap(file, script, ['--silence-timeout', '300ms']);
    const first = await waitFor('first beat', () => readHeartbeat(file), 10_000);
    expect(first).toMatchObject({ status: 'healthy', pid: expect.any(Number) });
    await waitFor('silence', async () => Date.now() / 1000 - ((await readHeartbeat(file))?.unix_ts ?? 0) > 0.8, 10_000);
    const result = await run;
    expect(result.exitCode).toBe(0);
    const last = (await readHeartbeat(file)) as Heartbeat;
    expect(last).toMatchObject({ status: 'stopped', message: 'exited' });
  });

  it('relays SIGTERM to the program and reports how it ended', async () => {
    temp = await makeTempDir('ts-wrap-');
    const file = path.join(temp.path, 'hb.json');
    const run = wrap(file, 'setInterval(() => console.log("x"), 50)');
    await waitFor('first beat', () => readHeartbeat(file), 10_000);
    run.kill('SIGTERM');
    const result = await run;
    expect(result.exitCode).toBe(143);
    expect(await readHeartbeat(file)).toMatchObject({ status: 'stopped', error: 'exit code 143' });
  });
});
