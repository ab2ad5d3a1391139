/**
 * `supervisor logs <task_id>`: one task's story. The timeline comes from the workflow history (any
 * server), the log lines from this host's supervisor log (JSON lines, rotated as `supervisor.log.N`),
 * the result from `Worker_Outbox/<worker>/<task_id>.result.json`. `follow` prints what is new until the
 * run closes.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Config } from '../config/schema.js';
import { handlerWorkflowId } from '../contract/ids.js';
import { resultFilePath } from '../nas/paths.js';
import { formatDuration, formatEntry } from './format.js';
import { storyOf, taskStatusOf } from './timeline.js';
import type { RunStory } from './timeline.js';

export class UnknownTaskError extends Error {
  constructor(taskId: string, workerId: string) {
    super(`no task ${taskId} on worker ${workerId} (no workflow ${handlerWorkflowId(workerId, taskId)})`);
    this.name = 'UnknownTaskError';
  }
}

export interface LogLine {
  time: string;
  level: string;
  msg: string;
  meta: Record<string, unknown>;
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SHOWN_META = new Set(['error', 'steps', 'details', 'from', 'to', 'requested_by', 'activity', 'attempt']);

/** The log file and its rotated copies, oldest first (`supervisor.log.1` is the newest copy). */
async function logFiles(file: string): Promise<string[]> {
  const base = path.basename(file);
  let names: string[];
  try {
    names = await readdir(path.dirname(file));
  } catch {
    return [];
  }
  const rotated = names
    .map((name) => ({ name, n: name.startsWith(`${base}.`) ? Number(name.slice(base.length + 1)) : NaN }))
    .filter((entry) => Number.isInteger(entry.n) && entry.n > 0)
    .sort((a, b) => b.n - a.n)
    .map((entry) => path.join(path.dirname(file), entry.name));
  return [...rotated, ...(names.includes(base) ? [file] : [])];
}

/** Lines of the task: the `[<task_id> - <label>]` prefix the handlers log with, or its ids in the metadata. */
export function isTaskLine(record: Record<string, unknown>, taskId: string, workflowId: string): boolean {
  const msg = typeof record.msg === 'string' ? record.msg : '';
  return msg.startsWith(`[${taskId} - `) || record.task_id === taskId || record.workflowId === workflowId;
}

export async function taskLogLines(config: Config, taskId: string, workerId: string): Promise<LogLine[]> {
  const workflowId = handlerWorkflowId(workerId, taskId);
  const lines: LogLine[] = [];
  for (const file of await logFiles(config.logging.file)) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    for (const raw of text.split('\n')) {
      if (!raw.includes(taskId)) continue;
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (!isTaskLine(record, taskId, workflowId)) continue;
      const meta = Object.fromEntries(Object.entries(record).filter(([key]) => SHOWN_META.has(key)));
      lines.push({
        time: new Date(typeof record.time === 'number' ? record.time : 0).toISOString(),
        level: LEVELS[Number(record.level)] ?? 'INFO',
        msg: String(record.msg ?? ''),
        meta,
      });
    }
  }
  return lines;
}

export function formatLogLine(line: LogLine): string {
  const meta = Object.keys(line.meta).length > 0 ? ` ${JSON.stringify(line.meta)}` : '';
  return `${line.time} ${line.level.padEnd(5)} ${line.msg}${meta}`;
}

export interface TaskStory {
  taskId: string;
  workerId: string;
  workflowId: string;
  description: WorkflowExecutionDescription;
  story: RunStory;
}

export async function readTaskStory(client: Client, taskId: string, workerId: string): Promise<TaskStory> {
  const workflowId = handlerWorkflowId(workerId, taskId);
  const handle = client.workflow.getHandle(workflowId);
  let description: WorkflowExecutionDescription;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new UnknownTaskError(taskId, workerId);
    throw error;
  }
  const history = await client.workflow.getHandle(workflowId, description.runId).fetchHistory();
  return { taskId, workerId, workflowId, description, story: storyOf(history.events ?? [], description.type) };
}

/** `failed (workflow completed)`: the task's state, and the workflow's when they differ. */
function statusLine(task: TaskStory): string {
  const execution = task.description.status.name;
  const status = taskStatusOf(execution, task.story);
  const workflow = execution.toLowerCase().replace('cancelled', 'canceled');
  return status === workflow ? status : `${status} (workflow ${workflow})`;
}

export function formatHeader(task: TaskStory): string {
  const input = task.story.input ?? {};
  const { description } = task;
  const closed = description.closeTime?.getTime();
  const lines = [
    `task       ${task.taskId}  (${description.type}, worker ${task.workerId})`,
    `label      ${typeof input.label === 'string' ? input.label : '-'}`,
    `requested  ${typeof input.requested_by === 'string' ? input.requested_by : '-'}`,
    `workflow   ${task.workflowId}  run ${description.runId}`,
    `status     ${statusLine(task)}`,
    `started    ${description.startTime.toISOString()}`,
    ...(closed === undefined
      ? []
      : [
          `closed     ${new Date(closed).toISOString()}  (${formatDuration(closed - description.startTime.getTime())})`,
        ]),
  ];
  return `${lines.join('\n')}\n`;
}

async function readResult(config: Config, taskId: string, workerId: string): Promise<string | null> {
  try {
    return await readFile(resultFilePath({ ...config, worker_id: workerId }, taskId), 'utf8');
  } catch {
    return null;
  }
}

export async function formatResult(config: Config, taskId: string, workerId: string): Promise<string> {
  const file = resultFilePath({ ...config, worker_id: workerId }, taskId);
  const text = await readResult(config, taskId, workerId);
  return text === null ? `result     none yet (${file})\n` : `result     ${file}\n${text.trimEnd()}\n`;
}

/** The whole story at once: header, timeline, log lines, result file. */
export async function formatTaskLogs(client: Client, config: Config, taskId: string, workerId: string) {
  const task = await readTaskStory(client, taskId, workerId);
  const log = await taskLogLines(config, taskId, workerId);
  return [
    formatHeader(task),
    'timeline\n',
    // In the order the steps began (a step is recorded when it ends); sort is stable for equal offsets.
    ...[...task.story.entries, ...task.story.inFlight.values()]
      .sort((a, b) => a.offsetMs - b.offsetMs)
      .map((entry) => `  ${formatEntry(entry)}\n`),
    `log lines (${config.logging.file})\n`,
    ...(log.length === 0 ? ['  none on this host\n'] : log.map((line) => `  ${formatLogLine(line)}\n`)),
    await formatResult(config, taskId, workerId),
  ].join('');
}

export interface FollowOptions {
  write: (text: string) => void;
  pollMs?: number;
  stopped?: () => boolean;
}

/** Prints the story, then each new timeline entry and log line until the run closes, then the result. */
export async function followTaskLogs(
  client: Client,
  config: Config,
  taskId: string,
  workerId: string,
  options: FollowOptions,
): Promise<void> {
  const { write } = options;
  let task = await readTaskStory(client, taskId, workerId);
  write(formatHeader(task));
  let entries = 0;
  let logLines = 0;
  const announced = new Set<string>();
  for (;;) {
    for (const entry of task.story.entries.slice(entries)) write(`[timeline] ${formatEntry(entry)}\n`);
    entries = task.story.entries.length;
    for (const [id, entry] of task.story.inFlight) {
      if (announced.has(id)) continue;
      announced.add(id);
      write(`[timeline] ${formatEntry(entry)}\n`);
    }
    const log = await taskLogLines(config, taskId, workerId);
    for (const line of log.slice(logLines)) write(`[log]      ${formatLogLine(line)}\n`);
    logLines = log.length;
    if (task.story.end !== null || options.stopped?.() === true) break;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
    task = await readTaskStory(client, taskId, workerId);
  }
  // The result file is written just before the run closes; the last log lines may trail it a moment.
  const log = await taskLogLines(config, taskId, workerId);
  for (const line of log.slice(logLines)) write(`[log]      ${formatLogLine(line)}\n`);
  write(`status     ${statusLine(task)}\n`);
  write(await formatResult(config, taskId, workerId));
}
