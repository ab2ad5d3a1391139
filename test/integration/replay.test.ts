/**
 * Every saved history under test/fixtures/histories replays on the current workflow bundle (STYLE 7 and 18,
 * sdk-typescript's replay tests): a changed command sequence that is not behind `patched()` fails here.
 * Each file is first checked to be what it claims (workflow type, completed activities in order, result,
 * patch markers), so a truncated or empty file cannot pass. Record them again with
 * `npx tsx test/fixtures/histories/record.ts` (see there); a new file needs its row in EXPECTED.
 *
 * - `*-before-reset`: recorded by the code before patched('keepalive-reset') (commit 7be0203^): the
 *   watcher handlers replay without the reset signal, the keep-alive without any patch marker.
 * - keepalive-before-issue11 / keepalive-across-issue11: see the issue 11 notes below their rows.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { installQuietRuntime } from '../devserver/runtime.js';
import { loadSupervisorBundle } from '../helpers/supervisor-env.js';

type History = temporal.api.history.v1.History;

interface Expected {
  type: string;
  /** Types of the completed activities, in the order they completed. */
  completed: string[];
  failed?: string[];
  /** Matched against the workflow's decoded result; absent for a run saved while still running. */
  result?: Record<string, unknown>;
  /** How many patch markers (patched() calls that took the new path) the run recorded. */
  markers: number;
  /** Texts some activity input or result contains. */
  payloads?: string[];
}

const HANDLER = ['workerSettings', 'requestLock'];
const REPORT = ['recordAudit', 'writeResult'];
const APPROVAL_REQUEST = ['approvalSnapshot', 'recordAudit', 'supersedeApprovals'];
const KEEPALIVE_ITERATION = [
  'watchWatcher',
  'requestLock',
  'observeWatcher',
  'stopWatcher',
  'startWatcher',
  'recordAudit',
];

const EXPECTED: Record<string, Expected> = {
  pause_watcher: {
    type: 'pause_watcher',
    completed: [...HANDLER, 'createPauseFlag', 'stopWatcher', ...REPORT],
    result: { success: true, details: { pause_flag_created: true } },
    markers: 0,
  },
  resume_watcher: {
    type: 'resume_watcher',
    completed: [...HANDLER, 'removePauseFlag', 'startWatcher', 'watcherStatus', ...REPORT],
    result: { success: true, details: { pause_flag_removed: true } },
    markers: 1,
  },
  restart_watcher: {
    type: 'restart_watcher',
    completed: [...HANDLER, 'stopWatcher', 'startWatcher', ...REPORT],
    result: { success: true },
    markers: 1,
  },
  // Issue 14: approved through the `approve` update (the live state checked again in its handler).
  'restart_watcher-approved': {
    type: 'restart_watcher',
    completed: [
      'workerSettings',
      ...APPROVAL_REQUEST,
      'approvalSnapshot',
      'recordAudit',
      'requestLock',
      'stopWatcher',
      'startWatcher',
      ...REPORT,
    ],
    result: { success: true },
    markers: 1,
    payloads: ['"by":"approver"', '"action":"approved"'],
  },
  'rollback_code-rejected': {
    type: 'rollback_code',
    completed: ['workerSettings', ...APPROVAL_REQUEST, ...REPORT],
    result: { success: false, details: { executed: false, approval: { status: 'rejected' } } },
    markers: 0,
  },
  diagnostics: {
    type: 'diagnostics',
    completed: ['workerSettings', 'runDiagnostics', ...REPORT],
    result: { success: true },
    markers: 0,
  },
  verify_db: {
    type: 'verify_db',
    completed: ['workerSettings', 'verifyDb', ...REPORT],
    result: { success: true, details: { connection_ok: true } },
    markers: 0,
  },
  update_code: {
    type: 'update_code',
    completed: [
      ...HANDLER,
      'planUpdate',
      'readPauseFlag',
      'stopWatcher',
      'backupWorkTree',
      'advanceTo',
      'startWatcher',
      ...REPORT,
    ],
    result: { success: true },
    markers: 0,
  },
  update_code_deps: {
    type: 'update_code_deps',
    completed: [
      ...HANDLER,
      'planUpdate',
      'readPauseFlag',
      'stopWatcher',
      'backupWorkTree',
      'advanceTo',
      'installDependencies',
      'startWatcher',
      ...REPORT,
    ],
    result: { success: true },
    markers: 0,
  },
  // The install fails after the pull: the saga restores the recorded commit and starts the watcher again.
  'update_code_deps-compensated': {
    type: 'update_code_deps',
    completed: [
      ...HANDLER,
      'planUpdate',
      'readPauseFlag',
      'stopWatcher',
      'backupWorkTree',
      'advanceTo',
      'restoreWorkTree',
      'startWatcher',
      'currentCommit',
      ...REPORT,
    ],
    failed: ['installDependencies'],
    result: { success: false, error: expect.stringContaining('exited with code 3') },
    markers: 0,
  },
  rollback_code: {
    type: 'rollback_code',
    completed: [
      ...HANDLER,
      'planRollback',
      'stopWatcher',
      'backupWorkTree',
      'revertCommit',
      'startWatcher',
      'currentCommit',
      ...REPORT,
    ],
    result: { success: true, details: { commits_back: 1 } },
    markers: 0,
  },
  // Cancelled (cancel_requested, then the cancel) while its first revert ran: that revert ends, then the
  // recorded commit and work tree come back (patch rollback-cancel-restores) and the watcher starts.
  'rollback_code-cancelled': {
    type: 'rollback_code',
    completed: [
      ...HANDLER,
      'planRollback',
      'stopWatcher',
      'backupWorkTree',
      'revertCommit',
      'restoreWorkTree',
      'startWatcher',
      'currentCommit',
      ...REPORT,
    ],
    markers: 1,
    payloads: ['"cancelled_by":"recorder@host"', '"restored":true'],
  },
  // lock/<workerId> after the seven handler runs above, each requested, granted and released.
  supervisor_lock: {
    type: 'supervisor_lock',
    completed: Array<string>(5).fill('workflowRunning'),
    markers: 0,
    payloads: ['"handler":"rollback_code"'],
  },
  health_check: {
    type: 'health_check',
    completed: ['checkHealth', 'ensureKeepAliveRunning', 'recordHealth'],
    result: { success: true, actions_taken: ['started keep-alive'] },
    markers: 0,
  },
  // A first start of a watcher that was down, a SIGKILL, the restart: two whole iterations.
  supervisor_keepalive: {
    type: 'supervisor_keepalive',
    completed: [...KEEPALIVE_ITERATION, ...KEEPALIVE_ITERATION],
    markers: 1,
    payloads: ['"action":"watcher_restarted"'],
  },
  // Issue 16's quick restart (patched 'keepalive-fast-restart'): lock request, look and start as local activities
  // (two markers per iteration), no stop of a watcher found down; a first start and the restart after a SIGKILL.
  'supervisor_keepalive-fast-restart': {
    type: 'supervisor_keepalive',
    completed: ['watchWatcher', 'recordAudit', 'watchWatcher', 'recordAudit'],
    markers: 7,
    payloads: ['"action":"watcher_restarted"', '"stopped_by":"not-running"'],
  },
  'supervisor_keepalive-before-reset': {
    type: 'supervisor_keepalive',
    completed: [...KEEPALIVE_ITERATION, ...KEEPALIVE_ITERATION],
    markers: 0,
    payloads: ['"action":"watcher_restarted"'],
  },
  'restart_watcher-before-reset': {
    type: 'restart_watcher',
    completed: [...HANDLER, 'stopWatcher', 'startWatcher', ...REPORT],
    result: { success: true },
    markers: 0,
  },
  'resume_watcher-before-reset': {
    type: 'resume_watcher',
    completed: [...HANDLER, 'removePauseFlag', 'startWatcher', 'watcherStatus', ...REPORT],
    result: { success: true },
    markers: 0,
  },
  // Issue 11: the keep-alive before it throughout (first start, SIGSTOP hang, SIGKILL: three restarts).
  'keepalive-before-issue11': {
    type: 'supervisor_keepalive',
    completed: [...KEEPALIVE_ITERATION, 'watchWatcher', ...KEEPALIVE_ITERATION, ...KEEPALIVE_ITERATION],
    markers: 0,
    payloads: ['"observation":"hung"'],
  },
  // Issue 11: begun by that code, taken over mid-run by the new code, which audited the next hang on its path.
  'keepalive-across-issue11': {
    type: 'supervisor_keepalive',
    completed: [
      ...KEEPALIVE_ITERATION,
      ...KEEPALIVE_ITERATION,
      'watchWatcher',
      'watchWatcher',
      'recordAudit',
      ...KEEPALIVE_ITERATION.slice(1),
    ],
    markers: 1,
    payloads: ['"action":"watcher_hung"', '"reason":"hang"'],
  },
};

const folder = new URL('../fixtures/histories/', import.meta.url);
const saved = readdirSync(folder)
  .filter((file) => file.endsWith('.json'))
  .map((file) => file.slice(0, -'.json'.length))
  .sort();

function load(name: string): History {
  return temporal.api.history.v1.History.fromObject(
    JSON.parse(readFileSync(new URL(`${name}.json`, folder), 'utf8')) as Record<string, unknown>,
  );
}

const text = (payload: temporal.api.common.v1.IPayload | null | undefined): string =>
  Buffer.from(payload?.data ?? []).toString('utf8');

/** What a history did, read from its events. */
function summary(history: History) {
  const events = history.events ?? [];
  const typeOf = new Map(
    events.map((event) => [
      String(event.eventId),
      event.activityTaskScheduledEventAttributes?.activityType?.name ?? '',
    ]),
  );
  const ofEnd = (id: unknown): string => typeOf.get(String(id)) ?? '';
  const result = events.find((event) => event.workflowExecutionCompletedEventAttributes)
    ?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0];
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  return {
    // Replayed under its own id: handlers check that theirs is `<workerId>/<task_id>`.
    workflowId: started?.workflowId ?? started?.rootWorkflowExecution?.workflowId ?? undefined,
    type: started?.workflowType?.name,
    completed: events.flatMap((event) =>
      event.activityTaskCompletedEventAttributes
        ? [ofEnd(event.activityTaskCompletedEventAttributes.scheduledEventId)]
        : [],
    ),
    failed: events.flatMap((event) =>
      event.activityTaskFailedEventAttributes ? [ofEnd(event.activityTaskFailedEventAttributes.scheduledEventId)] : [],
    ),
    result: result === undefined ? undefined : (JSON.parse(text(result)) as Record<string, unknown>),
    markers: events.filter((event) => event.markerRecordedEventAttributes).length,
    payloads: events
      .flatMap((event) => [
        ...(event.activityTaskScheduledEventAttributes?.input?.payloads ?? []),
        ...(event.activityTaskCompletedEventAttributes?.result?.payloads ?? []),
      ])
      .map(text)
      .join('\n'),
  };
}

describe('saved histories replay on the current workflows', () => {
  let bundle: { code: string };
  beforeAll(async () => {
    installQuietRuntime();
    bundle = await loadSupervisorBundle();
  });

  it('has a saved history for every expectation and an expectation for every saved history', () => {
    expect(saved).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.keys(EXPECTED).sort())('%s: did what it claims, and replays', async (name) => {
    const expected = EXPECTED[name] as Expected;
    const history = load(name);
    const did = summary(history);
    expect({ type: did.type, completed: did.completed, failed: did.failed, markers: did.markers }).toEqual({
      type: expected.type,
      completed: expected.completed,
      failed: expected.failed ?? [],
      markers: expected.markers,
    });
    if (expected.result === undefined) expect(did.result).toBeUndefined();
    else expect(did.result).toMatchObject(expected.result);
    for (const needle of expected.payloads ?? []) expect(did.payloads).toContain(needle);
    await expect(
      Worker.runReplayHistory({ workflowBundle: bundle, replayName: name }, history, did.workflowId ?? undefined),
    ).resolves.toBeUndefined();
  });
});
