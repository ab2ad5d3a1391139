/**
 * What the chaos run proves at the end, read from what the supervisor left: receipts and rejected files (each
 * flag's ending), visibility and histories (one execution per task), result files, audit_log_t rows, the inbox.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { Config } from '../../src/config/schema.js';
import { handlerWorkflowId } from '../../src/contract/ids.js';
import { pendingAuditFileOf, receiptPath, rejectedFolder, resultFilePath } from '../../src/nas/paths.js';
import { exists } from '../integration/ingest/harness.js';
import type { PlannedFlag } from './plan.js';

export interface Findings {
  /** Something happened more than once: a run, an audit row, a rejection. */
  twice: string[];
  /** Something that should exist does not: a receipt, a result, an audit row; or a flag still in the inbox. */
  lost: string[];
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: limit }, lane));
}

/** Each flag's ending from the outbox: an accepted or duplicate receipt, or its bytes in rejected/ exactly once. */
async function checkEndings(config: Config, flags: readonly PlannedFlag[], found: Findings): Promise<void> {
  const { outbox } = config.paths;
  const duplicated = new Set(flags.filter((f) => f.expect === 'duplicate').map((f) => f.taskId));
  for (const flag of flags) {
    if (flag.expect === 'rejected') continue;
    const receipt = receiptPath(outbox, flag.workerId, flag.taskId, flag.expect);
    if (!(await exists(receipt))) found.lost.push(`${flag.taskId}: no ${flag.expect} receipt`);
    if (flag.expect === 'accepted' && !duplicated.has(flag.taskId)) {
      if (await exists(receiptPath(outbox, flag.workerId, flag.taskId, 'duplicate')))
        found.twice.push(`${flag.taskId}: a duplicate receipt too`);
    }
  }
  const folder = rejectedFolder(outbox);
  const names = (await readdir(folder).catch(() => [])).filter((name) => !name.endsWith('.error.json'));
  const seen = new Map<string, number>();
  for (const name of names) {
    const bytes = await readFile(path.join(folder, name), 'utf8');
    seen.set(bytes, (seen.get(bytes) ?? 0) + 1);
  }
  const bad = flags.filter((f) => f.expect === 'rejected');
  for (const flag of bad) {
    const count = seen.get(flag.body) ?? 0;
    if (count === 0) found.lost.push(`${flag.taskId}: not in rejected/`);
    if (count > 1) found.twice.push(`${flag.taskId}: in rejected/ ${String(count)} times`);
  }
  if (names.length > bad.length)
    found.twice.push(`rejected/ holds ${String(names.length)} flags, ${String(bad.length)} were bad`);
}

/**
 * One execution per task in visibility (closed ones included), completed; its history has one start and one
 * completion; its result file was written by that run (same start time).
 */
async function checkRuns(
  client: Client,
  configs: Map<string, Config>,
  accepted: readonly PlannedFlag[],
  found: Findings,
) {
  const runs = new Map<string, { status: string; startTime: Date }[]>();
  for await (const execution of client.workflow.list({ query: "WorkflowId STARTS_WITH 'W'" })) {
    const list = runs.get(execution.workflowId) ?? [];
    list.push({ status: execution.status.name, startTime: execution.startTime });
    runs.set(execution.workflowId, list);
  }
  await mapLimit(accepted, 8, async (flag) => {
    const workflowId = handlerWorkflowId(flag.workerId, flag.taskId);
    const listed = runs.get(workflowId) ?? [];
    if (listed.length > 1) found.twice.push(`${workflowId}: ${String(listed.length)} executions`);
    const run = listed[0];
    if (run === undefined) return void found.lost.push(`${workflowId}: no execution`);
    if (run.status !== 'COMPLETED') found.lost.push(`${workflowId}: ${run.status}`);
    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const starts = events.filter((e) => e.workflowExecutionStartedEventAttributes != null).length;
    const ends = events.filter((e) => e.workflowExecutionCompletedEventAttributes != null).length;
    if (starts !== 1 || ends !== 1)
      found.twice.push(`${workflowId}: history with ${String(starts)} starts, ${String(ends)} completions`);
    const config = configs.get(flag.workerId) as Config;
    const result = await readFile(resultFilePath(config, flag.taskId), 'utf8').catch(() => undefined);
    if (result === undefined) return void found.lost.push(`${flag.taskId}: no result file`);
    const { started_at, task_id } = JSON.parse(result) as { started_at: string; task_id: string };
    if (task_id !== flag.taskId || started_at !== run.startTime.toISOString())
      found.twice.push(`${flag.taskId}: result file of another run (${started_at})`);
  });
}

/** Every accepted task's audit row exactly once, in MySQL (none left waiting in a worker's pending file). */
async function checkAudit(pool: Pool, configs: Map<string, Config>, accepted: readonly PlannedFlag[], found: Findings) {
  const [rows] = await pool.query<RowDataPacket[]>(
    "SELECT worker_id, task_id, COUNT(*) AS n FROM audit_log_t WHERE task_id LIKE 'chaos%' GROUP BY worker_id, task_id",
  );
  const counts = new Map(rows.map((row) => [`${String(row.worker_id)}/${String(row.task_id)}`, Number(row.n)]));
  for (const flag of accepted) {
    const n = counts.get(handlerWorkflowId(flag.workerId, flag.taskId)) ?? 0;
    if (n === 0) found.lost.push(`${flag.taskId}: no audit row`);
    if (n > 1) found.twice.push(`${flag.taskId}: ${String(n)} audit rows`);
  }
  if (counts.size > accepted.length)
    found.twice.push(`audit rows for ${String(counts.size)} tasks, ${String(accepted.length)} accepted`);
  for (const config of configs.values()) {
    const pending = pendingAuditFileOf(config.paths.logs, config.worker_id);
    for (const file of [pending, `${pending}.draining`]) {
      const text = await readFile(file, 'utf8').catch(() => '');
      const waiting = text.split('\n').filter((line) => line.includes('"task_id":"chaos')).length;
      if (waiting > 0) found.lost.push(`${String(waiting)} audit rows in ${path.basename(file)}, not in MySQL`);
    }
  }
}

export async function checkEverything(options: {
  client: Client;
  pool: Pool;
  configs: Map<string, Config>;
  flags: readonly PlannedFlag[];
}): Promise<Findings> {
  const found: Findings = { twice: [], lost: [] };
  const config = options.configs.get('W1') as Config;
  const accepted = options.flags.filter((f) => f.expect === 'accepted');
  await checkEndings(config, options.flags, found);
  await checkRuns(options.client, options.configs, accepted, found);
  await checkAudit(options.pool, options.configs, accepted, found);
  const left = await readdir(config.paths.inbox);
  if (left.length > 0) found.lost.push(`left in the inbox: ${left.join(', ')}`);
  return found;
}
