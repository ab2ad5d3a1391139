import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { receiptPath } from '../../../src/nas/paths.js';
import { describe, expect, it } from '@jest/globals';
import { testConfig } from '../../helpers/config.js';
import { WORKER_ID, dropFlag, flagName, waitForJson, workflowExists, useIngestEnv } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { engine, tmp } = useIngestEnv('ingest-cli-');

describe('supervisor ingest', () => {
  it('runs as a process against a cluster address, starts a flag and stops cleanly on SIGTERM', async () => {
    const root = tmp();
    const file = path.join(root, 'supervisor.yaml');
    await writeFile(
      file,
      `worker_id: ${WORKER_ID}\npaths:\n  nas_root: ${JSON.stringify(root)}\ntemporal:\n  address: ${engine.server.address}\n`,
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(here, 'cli-child.ts'), '-c', file, '--log-level', 'warn', 'ingest'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const config = testConfig(root);
      const id = `t_cli_${String(Date.now())}`;
      await dropFlag(config.paths.inbox, flagName('pause_watcher'), { task_id: id, handler: 'pause_watcher' });
      await waitForJson(receiptPath(config.paths.outbox, WORKER_ID, id, 'accepted'));
      expect(await workflowExists(engine.client, `${WORKER_ID}/${id}`)).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/ERROR|unexpected/);
  });
});
