import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { HANDLERS } from '../../../src/flags/index.js';
import { receiptPath } from '../../../src/nas/paths.js';
import { testConfig } from '../../helpers/config.js';
import { dropFlag, exists, flagName, listWorkflowIds, useIngestEnv } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const WORKERS = ['W1', 'W2', 'W3'];

const { engine, tmp } = useIngestEnv('ingest-crash-');

/** One life of the ingest: until it kills itself, or the parent SIGKILLs it `lifeMs` after it is ready. */
async function life(root: string, lifeMs: number, crashAt: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'crash-child.ts')], {
    env: {
      ...process.env,
      INGEST_ROOT: root,
      TEMPORAL_ADDRESS: engine.server.address,
      WORKER_IDS: WORKERS.join(','),
      CRASH_AT: crashAt,
      CRASH_P: '0.3',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let timer: NodeJS.Timeout | undefined;
  child.stdout.once('data', () => {
    timer = setTimeout(() => child.kill('SIGKILL'), lifeMs);
  });
  await new Promise<void>((resolve) => {
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('ingest: SIGKILL crash loop', () => {
  // The timeout is for a bounded number of lives, not a speed: each is a node + tsx start (about 1.5 s on an
  // idle machine, 7 s on a busy two-CPU one), up to 100 a round.
  it('every flag runs exactly once however often the ingest dies', async () => {
    const root = tmp();
    const config = testConfig(root);
    const taskIds: string[] = [];
    const points = ['after-start', 'before-start', 'after-start', ''];
    for (let round = 0; round < 2; round += 1) {
      for (const worker of WORKERS) {
        for (const handler of HANDLERS) {
          const id = `t_crash_${String(round)}_${worker}_${handler}_${String(Date.now())}`;
          taskIds.push(id);
          await dropFlag(config.paths.inbox, flagName(handler, worker), { task_id: id, handler });
        }
      }
      let left = (await readdir(config.paths.inbox)).length;
      let stalls = 0;
      for (let i = 0; left > 0; i += 1) {
        if (i > 100) throw new Error('the inbox never emptied');
        // Short random lives land kills everywhere: mid-read, mid-start, between ledger, receipt and delete.
        // A life that moved nothing makes the next ones longer (up to 64 times): on a busy machine a pass
        // can take longer than 150 ms, and the loop must still make progress.
        const lifeMs = Math.floor(Math.random() * 150 * 2 ** Math.min(stalls, 6));
        await life(root, lifeMs, points[i % points.length] ?? '');
        const now = (await readdir(config.paths.inbox)).length;
        stalls = now < left ? 0 : stalls + 1;
        left = now;
      }
    }
    const listed = await listWorkflowIds(engine.client);
    for (const id of taskIds) {
      const worker = id.split('_')[3] ?? '';
      expect(listed.filter((w) => w === `${worker}/${id}`)).toHaveLength(1);
      expect(await exists(receiptPath(config.paths.outbox, worker, id, 'accepted'))).toBe(true);
      expect(await exists(receiptPath(config.paths.outbox, worker, id, 'duplicate'))).toBe(false);
    }
    expect(await exists(path.join(config.paths.outbox, 'rejected'))).toBe(false);
    const crashes = (await readFile(path.join(root, 'crashes.log'), 'utf8')).split('\n');
    expect(crashes).toContain('before-start');
    expect(crashes).toContain('after-start');
  }, 900_000);
});
