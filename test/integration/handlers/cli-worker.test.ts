import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { Config } from '../../../src/config/schema.js';
import type { HandlerResult } from '../../../src/contract/handlers.js';
import { fakeWatcherArgs } from '../../helpers/fake-watcher.js';
import { makeTempDir } from '../../helpers/tmp.js';
import type { TempDir } from '../../helpers/tmp.js';
import { useSupervisorEnv, NO_REPLAY } from '../../helpers/use-supervisor-env.js';

const MAIN = fileURLToPath(new URL('./cli-worker-main.ts', import.meta.url));

describe('supervisor worker (CLI)', () => {
  const env = useSupervisorEnv(NO_REPLAY);
  let temp: TempDir;

  beforeAll(async () => {
    temp = await makeTempDir('ts-cli-worker-');
  });
  afterAll(async () => {
    await temp?.cleanup();
  });

  it('runs the handlers on supervisor-<workerId> from a config file and stops cleanly on SIGTERM', async () => {
    const nas = path.join(temp.path, 'nas');
    const raw = {
      worker_id: 'CliWorker',
      paths: { nas_root: nas },
      temporal: { address: env.server.address },
      watcher: {
        command: process.execPath,
        args: fakeWatcherArgs({ variant: 'well-behaved', heartbeatFile: path.join(nas, 'hb.json') }),
        cwd: temp.path,
      },
      repo: { dir: temp.path },
      http: { enabled: false },
    };
    const file = path.join(temp.path, 'supervisor.yaml');
    // JSON is YAML: the loader reads it as written.
    await writeFile(file, JSON.stringify(raw, null, 2));
    const config = Config.parse(raw);
    const child = execa(
      process.execPath,
      ['--import', 'tsx', MAIN, '--config', file, '--log-level', 'info', 'worker'],
      { reject: false, stdin: 'ignore', all: true },
    );
    try {
      // The workflow waits on the task queue until the CLI's worker (bundling from source first) polls it.
      const result = (await env.run(config, {
        task_id: 'cli_diag',
        handler: 'diagnostics',
        label: 'via cli',
        requested_by: 'ops',
      })) as HandlerResult;
      expect(result).toMatchObject({ success: true, details: { watcher_running: false } });
      expect(
        JSON.parse(await readFile(path.join(nas, 'Worker_Outbox', 'CliWorker', 'cli_diag.result.json'), 'utf8')),
      ).toMatchObject({ worker_id: 'CliWorker', success: true });
    } finally {
      child.kill('SIGTERM');
    }
    const ended = await child;
    expect(ended.all).toContain('supervisor worker running');
    expect(ended.all).toContain('worker stopped');
    expect(ended.exitCode).toBe(0);
  }, 120_000);
});
