import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ExecError, run, tailOf } from '../../../src/lib/exec.js';
import { useTempDir } from '../../helpers/tmp.js';

const node = process.execPath;

async function failure(promise: Promise<unknown>): Promise<ExecError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ExecError) return error;
    throw error;
  }
  throw new Error('expected an ExecError');
}

describe('run (the subprocess wrapper)', () => {
  const dir = useTempDir('ts-exec-');

  it('passes arguments verbatim, without a shell', async () => {
    const result = await run(node, [
      '-e',
      'console.log(JSON.stringify(process.argv.slice(1)))',
      '$HOME',
      '; rm -rf /',
      '`id`',
    ]);
    expect(JSON.parse(result.stdout)).toEqual(['$HOME', '; rm -rf /', '`id`']);
    expect(result.exitCode).toBe(0);
  });

  it('throws ExecError with command, args, exit code and the stderr tail, never env values', async () => {
    const error = await failure(
      run(node, ['-e', 'console.error("boom " + process.env.SECRET_X.length); process.exit(3)'], {
        env: { SECRET_X: 'hunter2-value' },
      }),
    );
    expect(error.command).toBe(node);
    expect(error.args[0]).toBe('-e');
    expect(error.exitCode).toBe(3);
    expect(error.stderrTail).toContain('boom 13');
    expect(error.message).toBe(`${node} exited with code 3`);
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('hunter2-value');
  });

  it('reports a command that cannot start', async () => {
    const error = await failure(run(join(dir(), 'no-such-binary'), []));
    expect(error.exitCode).toBeUndefined();
    expect(error.message).toContain('could not be started');
    expect(error.stderrTail).toContain('ENOENT');
  });

  it('kills a command at its timeout', async () => {
    const error = await failure(run(node, ['-e', 'setInterval(() => {}, 1000)'], { timeoutMs: 200 }));
    expect(error.timedOut).toBe(true);
    expect(error.signal).toBe('SIGTERM');
  });

  it('kills a command when the cancel signal aborts', async () => {
    const controller = new AbortController();
    const pending = failure(run(node, ['-e', 'setInterval(() => {}, 1000)'], { cancelSignal: controller.signal }));
    setTimeout(() => controller.abort(), 100);
    const error = await pending;
    expect(error.canceled).toBe(true);
  });

  it('appends output to a file and takes the error tail from it', async () => {
    const log = join(dir(), 'task.log');
    await run(node, ['-e', 'console.log("first run")'], { outputFile: log });
    const error = await failure(
      run(node, ['-e', 'console.log("out line"); console.error("err line"); process.exit(1)'], { outputFile: log }),
    );
    const text = await readFile(log, 'utf8');
    expect(text).toContain('first run');
    expect(text).toContain('out line');
    expect(text).toContain('err line');
    expect(error.stderrTail).toContain('err line');
  });

  it('cuts a tail at a line boundary', () => {
    expect(tailOf('aaaa\nbbbb\ncccc', 7)).toBe('cccc');
    expect(tailOf('short', 100)).toBe('short');
  });
});
