/**
 * STYLE rule 6: every id the supervisor derives (never random), and the task queue, written once for
 * workflows, activities, ingest, CLI and tests. Plain functions and constants only.
 */

/** The flag alphabet of a task id: it becomes half a workflow id and names files in Worker_Outbox. */
export const TASK_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The task id rule: the pattern, not "." or ".." (they name directories), and no leading "-" (a file name an
 * operator's `rm` or `ls` would take for an option).
 */
export function isTaskId(taskId: string): boolean {
  return TASK_ID_PATTERN.test(taskId) && taskId !== '.' && taskId !== '..' && !taskId.startsWith('-');
}

/** `<workerId>/<task_id>`: a task runs once per worker (SPEC). */
export function handlerWorkflowId(workerId: string, taskId: string): string {
  return `${workerId}/${taskId}`;
}

/** `lock/<workerId>`: the per-worker lock. */
export function lockWorkflowId(workerId: string): string {
  return `lock/${workerId}`;
}

/** `keepalive/<workerId>`: the keep-alive. */
export function keepAliveWorkflowId(workerId: string): string {
  return `keepalive/${workerId}`;
}

/** `health/<workerId>`: the health schedule; the server appends the time to each run's workflow id. */
export function healthScheduleId(workerId: string): string {
  return `health/${workerId}`;
}

/** Task queue of one worker: `<prefix>-<workerId>` (`supervisor-<workerId>` by default). */
export function taskQueueOf(config: { temporal: { task_queue_prefix: string }; worker_id: string }): string {
  return `${config.temporal.task_queue_prefix}-${config.worker_id}`;
}
