/** Issue 11: report files are named per task, so two reports of the same second never overwrite each other. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { RunningWorker } from '../../helpers/supervisor-env.js';
import { makeTempDir } from '../../helpers/tmp.js';
import type { TempDir } from '../../helpers/tmp.js';
import { useSupervisorEnv } from '../../helpers/use-supervisor-env.js';

describe('diagnostics and verify_db report names', () => {
  const env = useSupervisorEnv();
  let temp: TempDir;
  let worker: RunningWorker | undefined;

  afterEach(async () => {
    await worker?.stop();
    await temp?.cleanup();
  });

  it('keeps every report of the same second, each named by its task id', async () => {
    temp = await makeTempDir('ts-reports-');
    const config = env.config(temp.path);
    // Every report of this worker carries the same second: only the task id can tell them apart.
    const frozen = new Date('2026-02-05T14:30:15.000Z');
    worker = await env.startWorker(config, { now: () => frozen });
    const results = await Promise.all([
      env.run(config, { task_id: 'diag_a', handler: 'diagnostics', label: 'same label', requested_by: 'ops' }),
      env.run(config, { task_id: 'diag_b', handler: 'diagnostics', label: 'same label', requested_by: 'ops' }),
      env.run(config, { task_id: 'db_a', handler: 'verify_db', requested_by: 'ops' }),
      env.run(config, { task_id: 'db_b', handler: 'verify_db', requested_by: 'ops' }),
    ]);
    const names = results.map((result) => path.basename(String(result.details.report_path)));
    const id = config.worker_id;
    expect(names).toEqual([
      `diagnostics_${id}_20260205T143015Z_diag_a_same_label.json`,
      `diagnostics_${id}_20260205T143015Z_diag_b_same_label.json`,
      `db_verification_${id}_20260205T143015Z_db_a.json`,
      `db_verification_${id}_20260205T143015Z_db_b.json`,
    ]);
    expect((await readdir(config.paths.diagnostics)).sort()).toEqual([...names].sort());
    for (const [index, taskId] of ['diag_a', 'diag_b', 'db_a', 'db_b'].entries()) {
      const report = JSON.parse(await readFile(path.join(config.paths.diagnostics, names[index] ?? ''), 'utf8')) as {
        task_id: string;
      };
      expect(report.task_id).toBe(taskId);
    }
  });
});
