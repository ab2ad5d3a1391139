/**
 * `supervisor status --all` / `--worker ID`: every worker that reported to this namespace, from Temporal alone
 * (another host's files are not ours to read): the keep-alives `keepalive/<id>` found by List and asked
 * their state, the watch activity's last heartbeat (the watcher's heartbeat age as the keep-alive saw it),
 * and each health schedule's latest run (its checkHealth result: draining, heartbeat; its own result).
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { HealthObservation, WatchResult } from '../activities/index.js';
import { healthScheduleId, keepAliveWorkflowId } from '../contract/ids.js';
import { KEEPALIVE_WORKFLOW_TYPE } from '../contract/supervision.js';
import type { HealthRunResult } from '../contract/supervision.js';
import { keepAliveState } from '../supervision/keep-alive.js';

type IPayloads = temporal.api.common.v1.IPayloads;

export interface FleetWorker {
  worker_id: string;
  /** The keep-alive workflow: RUNNING, or how its latest run ended; null when there is none. */
  keepalive_status: string | null;
  /** The keep-alive's state query (it answers only while a worker of that host polls), else the last health run's. */
  watcher_state: string | null;
  heartbeat_age_seconds: number | null;
  restarts_in_window: number | null;
  total_restarts: number | null;
  draining: boolean | null;
  /** The newest finished health run (`finished: false`: none of the recent ones has finished yet). */
  last_health_run: {
    time: string;
    finished: boolean;
    success: boolean;
    summary: string | null;
    errors: string[];
  } | null;
  next_health_run: string | null;
}

const HEALTH_PREFIX = 'health/';
const KEEPALIVE_PREFIX = 'keepalive/';

function decode<T>(payloads: IPayloads | null | undefined): T | undefined {
  const first = payloads?.payloads?.[0];
  return first ? defaultPayloadConverter.fromPayload<T>(first) : undefined;
}

const msOf = (ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number | undefined =>
  ts?.seconds === undefined || ts.seconds === null ? undefined : Number(ts.seconds) * 1000 + (ts.nanos ?? 0) / 1e6;

/** Worker ids with a keep-alive (its latest run's status) or a health schedule in this namespace. */
export async function fleetWorkerIds(client: Client): Promise<Map<string, string | null>> {
  const ids = new Map<string, string | null>();
  for await (const wf of client.workflow.list({ query: `WorkflowType = '${KEEPALIVE_WORKFLOW_TYPE}'` })) {
    if (!wf.workflowId.startsWith(KEEPALIVE_PREFIX)) continue;
    const id = wf.workflowId.slice(KEEPALIVE_PREFIX.length);
    // Continue-as-new leaves closed runs behind: one running run wins.
    if (ids.get(id) !== 'RUNNING') ids.set(id, wf.status.name);
  }
  for await (const schedule of client.schedule.list()) {
    if (!schedule.scheduleId.startsWith(HEALTH_PREFIX)) continue;
    const id = schedule.scheduleId.slice(HEALTH_PREFIX.length);
    if (!ids.has(id)) ids.set(id, null);
  }
  return ids;
}

/** The watcher's heartbeat age now, from the keep-alive's running watch activity (its heartbeat details). */
async function watchedHeartbeatAge(client: Client, workerId: string): Promise<number | null> {
  try {
    const { raw } = await client.workflow.getHandle(keepAliveWorkflowId(workerId)).describe();
    for (const activity of raw.pendingActivities ?? []) {
      const seen = decode<WatchResult>(activity.heartbeatDetails);
      const at = msOf(activity.lastHeartbeatTime);
      if (seen?.heartbeatAgeMs === null || seen?.heartbeatAgeMs === undefined || at === undefined) continue;
      return Math.max(0, Math.round((seen.heartbeatAgeMs + Date.now() - at) / 1000));
    }
  } catch {
    // closed or gone: the health run's figure stands in
  }
  return null;
}

interface HealthRun {
  time: string;
  next: string | null;
  observation?: HealthObservation;
  result?: HealthRunResult;
}

/** The latest health run the schedule took, read back from its history. */
async function lastHealthRun(client: Client, workerId: string): Promise<HealthRun | null> {
  let description;
  try {
    description = await client.schedule.getHandle(healthScheduleId(workerId)).describe();
  } catch {
    return null;
  }
  const next = description.info.nextActionTimes[0]?.toISOString() ?? null;
  const actions = description.info.recentActions;
  if (actions.length === 0) return { time: '', next };
  // Newest first: the latest run may still be going (no result yet); the one before it has finished.
  for (const action of [...actions].reverse().slice(0, 3)) {
    const run = await readHealthRun(client, action.action.workflow, action.takenAt.toISOString(), next);
    if (run.result !== undefined) return run;
  }
  return { time: actions.at(-1)?.takenAt.toISOString() ?? '', next };
}

/** One health run's checkHealth result and its own, from its history (nothing when it is past retention). */
async function readHealthRun(
  client: Client,
  workflow: { workflowId: string; firstExecutionRunId: string },
  time: string,
  next: string | null,
): Promise<HealthRun> {
  const run: HealthRun = { time, next };
  try {
    const history = await client.workflow.getHandle(workflow.workflowId, workflow.firstExecutionRunId).fetchHistory();
    const checkHealthIds = new Set<number>();
    for (const event of history.events ?? []) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name === 'checkHealth') checkHealthIds.add(Number(event.eventId));
      const done = event.activityTaskCompletedEventAttributes;
      if (done && checkHealthIds.has(Number(done.scheduledEventId)))
        run.observation = decode<HealthObservation>(done.result);
      const completed = event.workflowExecutionCompletedEventAttributes;
      if (completed) run.result = decode<HealthRunResult>(completed.result);
    }
  } catch {
    // past its retention: the time is all there is
  }
  return run;
}

/**
 * Both figures are the age when last seen plus the time since: upper bounds. The watch activity's heartbeat
 * is throttled by the SDK, a health run may be newer; the smaller bound is the closer one.
 */
function freshestAge(watched: number | null, health: HealthRun | null): number | null {
  const age = health?.observation?.heartbeat.age_seconds;
  const fromHealth =
    age === null || age === undefined || health === null
      ? null
      : Math.round(age + Math.max(0, Date.now() - Date.parse(health.time)) / 1000);
  if (watched === null) return fromHealth;
  return fromHealth === null ? watched : Math.min(watched, fromHealth);
}

export async function fleetWorker(client: Client, workerId: string, keepalive: string | null): Promise<FleetWorker> {
  const [state, watchedAge, health] = await Promise.all([
    keepAliveState(client, workerId),
    watchedHeartbeatAge(client, workerId),
    lastHealthRun(client, workerId),
  ]);
  const seen = health?.observation;
  return {
    worker_id: workerId,
    keepalive_status: keepalive,
    watcher_state: state?.state ?? seen?.watcher_state ?? health?.result?.watcher_state ?? null,
    heartbeat_age_seconds: freshestAge(watchedAge, health),
    restarts_in_window: state?.restartsInWindow ?? seen?.keepalive?.restartsInWindow ?? null,
    total_restarts: state?.totalRestarts ?? seen?.keepalive?.totalRestarts ?? null,
    draining: seen?.draining ?? null,
    last_health_run:
      health === null || health.time === ''
        ? null
        : {
            time: health.time,
            success: health.result?.success ?? false,
            finished: health.result !== undefined,
            summary: seen?.summary ?? null,
            errors: health.result?.errors ?? [],
          },
    next_health_run: health?.next ?? null,
  };
}

/** Every worker of the namespace (or the one asked for), sorted by id. */
export async function collectFleet(client: Client, only?: string): Promise<FleetWorker[]> {
  const ids = await fleetWorkerIds(client);
  const wanted = only === undefined ? [...ids.keys()].sort() : [only];
  return Promise.all(wanted.map((id) => fleetWorker(client, id, ids.get(id) ?? null)));
}

function healthWord(run: NonNullable<FleetWorker['last_health_run']>): string {
  if (!run.finished) return 'running';
  return run.success ? 'ok' : `failed: ${run.errors.join('; ') || 'see its history'}`;
}

const dash = (value: unknown): string => (value === null || value === undefined ? '-' : String(value));

export function formatFleet(workers: FleetWorker[]): string {
  const header = ['WORKER', 'KEEP-ALIVE', 'WATCHER', 'HEARTBEAT', 'RESTARTS', 'DRAINING', 'LAST HEALTH RUN'];
  const rows = workers.map((w) => [
    w.worker_id,
    dash(w.keepalive_status),
    dash(w.watcher_state),
    w.heartbeat_age_seconds === null ? '-' : `${w.heartbeat_age_seconds}s`,
    w.restarts_in_window === null ? '-' : `${w.restarts_in_window} (total ${dash(w.total_restarts)})`,
    w.draining === null ? '-' : w.draining ? 'yes' : 'no',
    w.last_health_run === null ? '-' : `${w.last_health_run.time} ${healthWord(w.last_health_run)}`,
  ]);
  if (rows.length === 0) return 'no worker has reported to this namespace\n';
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return `${[header, ...rows]
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}
