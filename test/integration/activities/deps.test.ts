import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { taskLogPath } from '../../../src/nas/paths.js';
import { isProcessAlive, killAll, waitFor } from '../../helpers/process.js';
import { useTempDir } from '../../helpers/tmp.js';
import { activitiesFor, runInActivity } from '../../helpers/activities.js';
import { testConfig } from '../../helpers/config.js';

const started: number[] = [];
afterEach(() => {
  killAll(started.splice(0));
});

function depsConfig(dir: string, script: string, timeout = '10s') {
  return testConfig(dir, { repo: { dir, deps_install: { command: process.execPath, args: ['-e', script], timeout } } });
}

describe('dependency install activity', () => {
  const dir = useTempDir('ts-deps-');

  it('runs the configured command in the repo, output in the task log, heartbeating', async () => {
    const config = depsConfig(
      dir(),
      'console.log("installing in " + process.cwd()); setTimeout(() => console.error("done"), 300)',
    );
    const env = new MockActivityEnvironment();
    let beats = 0;
    env.on('heartbeat', () => {
      beats += 1;
    });
    const result = await runInActivity(env, () => activitiesFor(config).installDependencies({ taskId: 'task_deps_1' }));
    expect(result.logFile).toBe(join(dir(), '05_LOGS', 'task_task_deps_1.log'));
    const log = await readFile(result.logFile, 'utf8');
    expect(log).toContain(`$ ${process.execPath} -e`);
    expect(log).toContain(`installing in ${dir()}`);
    expect(log).toContain('done');
    expect(beats).toBeGreaterThan(2);
  });

  it('keeps credentials of an index URL out of the task log', async () => {
    const config = testConfig(dir(), {
      repo: {
        dir: dir(),
        deps_install: { command: process.execPath, args: ['-e', '0', 'https://user:s3cret@pypi.example/simple'] },
      },
    });
    const result = await activitiesFor(config).installDependencies({ taskId: 't_cred' });
    const log = await readFile(result.logFile, 'utf8');
    expect(log).toContain('https://***@pypi.example/simple');
    expect(log).not.toContain('s3cret');
  });

  it('fails permanently on a non-zero exit, with the output tail', async () => {
    const config = depsConfig(dir(), 'console.error("ERROR: no matching distribution"); process.exit(1)');
    await expect(activitiesFor(config).installDependencies({ taskId: 't2' })).rejects.toMatchObject({
      type: 'DepsInstallFailed',
      nonRetryable: true,
      details: [
        expect.objectContaining({ exitCode: 1, outputTail: expect.stringContaining('no matching distribution') }),
      ],
    });
  });

  it('fails permanently at its own timeout', async () => {
    const config = depsConfig(dir(), 'setInterval(() => {}, 1000)', '300ms');
    await expect(activitiesFor(config).installDependencies({ taskId: 't3' })).rejects.toMatchObject({
      type: 'DepsInstallFailed',
      details: [expect.objectContaining({ timedOut: true })],
    });
  });

  it('kills the command when the activity is cancelled', async () => {
    const pidFile = join(dir(), 'deps.pid');
    const config = depsConfig(
      dir(),
      `require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000)`,
    );
    const env = new MockActivityEnvironment();
    const running = runInActivity(env, () => activitiesFor(config).installDependencies({ taskId: 't4' }));
    const pid = await waitFor('deps pid', async () => Number(await readFile(pidFile, 'utf8').catch(() => '')) || false);
    started.push(pid);
    env.cancel();
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
    await waitFor('deps process gone', async () => !(await isProcessAlive(pid)));
  });

  it('refuses a task id that is not file-safe', () => {
    expect(() => taskLogPath({ paths: testConfig(dir()).paths }, '../x')).toThrow(/not valid/);
  });
});
