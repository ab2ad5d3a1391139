/**
 * The panel's pages from what the operator modules read: the overview (workers, pending approvals, recent
 * tasks) and one task (its header, approval and timeline). Pure functions of their data; every value goes
 * through `html`.
 */
import type { ApprovalState } from '../contract/approvals.js';
import type { ApprovalRow } from '../operator/approvals.js';
import type { FleetWorker } from '../operator/fleet.js';
import { formatDuration } from '../operator/format.js';
import type { TaskStory } from '../operator/task-logs.js';
import type { TaskRow } from '../operator/tasks.js';
import { taskStatusOf } from '../operator/timeline.js';
import type { DecidedInHistory } from './history.js';
import type { Html } from './html.js';
import { html, page } from './html.js';

/** A section's data, or why it could not be read (a message, never a stack trace). */
export type Loaded<T> = { ok: true; value: T } | { ok: false; error: string };

export interface Frame {
  csrf: string;
  decisions: boolean;
  refresh?: number;
}

const taskHref = (workerId: string, taskId: string): string =>
  `/tasks/${encodeURIComponent(workerId)}/${encodeURIComponent(taskId)}`;
const dash = (value: unknown): unknown => (value === null || value === undefined || value === '' ? '-' : value);

function section<T>(title: string, loaded: Loaded<T>, body: (value: T) => Html): Html {
  return html`<section>
    <h2>${title}</h2>
    ${loaded.ok ? body(loaded.value) : html`<p class="error">cannot read: ${loaded.error}</p>`}
  </section>`;
}

function workersTable(workers: FleetWorker[]): Html {
  if (workers.length === 0) return html`<p>no workers have reported to this namespace</p>`;
  return html`<table id="workers">
    <thead>
      <tr>
        <th>worker</th>
        <th>keep-alive</th>
        <th>watcher</th>
        <th>heartbeat</th>
        <th>restarts (window / total)</th>
        <th>draining</th>
        <th>last health run</th>
      </tr>
    </thead>
    <tbody>
      ${workers.map(
        (w) =>
          html`<tr data-worker="${w.worker_id}">
            <td>${w.worker_id}</td>
            <td>${dash(w.keepalive_status)}</td>
            <td class="status-${dash(w.watcher_state)}">${dash(w.watcher_state)}</td>
            <td>${w.heartbeat_age_seconds === null ? '-' : `${w.heartbeat_age_seconds}s ago`}</td>
            <td>${dash(w.restarts_in_window)} / ${dash(w.total_restarts)}</td>
            <td>${w.draining === null ? '-' : w.draining ? 'yes' : 'no'}</td>
            <td>
              ${
                w.last_health_run === null
                  ? '-'
                  : html`${w.last_health_run.time}
                    ${
                      !w.last_health_run.finished
                        ? 'running'
                        : w.last_health_run.success
                          ? 'ok'
                          : w.last_health_run.errors.join('; ')
                    }`
              }
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function decisionControls(row: { worker_id: string; task_id: string }, frame: Frame): Html {
  if (!frame.decisions) return html``;
  return html`<input
      class="comment"
      type="text"
      placeholder="comment (optional)"
      maxlength="500"
      aria-label="comment"
    />
    <button type="button" data-kind="approve" data-worker="${row.worker_id}" data-task="${row.task_id}">Approve</button>
    <button type="button" data-kind="reject" data-worker="${row.worker_id}" data-task="${row.task_id}">Reject</button>`;
}

function approvalsTable(rows: ApprovalRow[], frame: Frame): Html {
  if (rows.length === 0) return html`<p>no approval is pending</p>`;
  return html`<table id="approvals">
    <thead>
      <tr>
        <th>task</th>
        <th>worker</th>
        <th>handler</th>
        <th>label</th>
        <th>requested by</th>
        <th>what it will do</th>
        <th>expires in</th>
        <th>decide</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (row) =>
          html`<tr class="approval" data-worker="${row.worker_id}" data-task="${row.task_id}">
            <td><a href="${taskHref(row.worker_id, row.task_id)}">${row.task_id}</a></td>
            <td>${row.worker_id}</td>
            <td>${row.handler}</td>
            <td>${dash(row.label)}</td>
            <td>${dash(row.requested_by)}</td>
            <td class="summary">${row.request.summary}</td>
            <td>
              ${row.expires_in_ms === null ? '-' : row.expires_in_ms < 0 ? 'expired' : formatDuration(row.expires_in_ms)}
            </td>
            <td>
              ${decisionControls(row, frame)}
              <p class="decision-msg" role="status"></p>
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function tasksTable(rows: TaskRow[]): Html {
  if (rows.length === 0) return html`<p>no tasks</p>`;
  return html`<table id="tasks">
    <thead>
      <tr>
        <th>task</th>
        <th>worker</th>
        <th>handler</th>
        <th>label</th>
        <th>by</th>
        <th>status</th>
        <th>started</th>
        <th>took</th>
        <th>outcome</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (row) =>
          html`<tr data-worker="${row.worker_id}" data-task="${row.task_id}">
            <td><a href="${taskHref(row.worker_id, row.task_id)}">${row.task_id}</a></td>
            <td>${row.worker_id}</td>
            <td>${row.handler}</td>
            <td>${dash(row.label)}</td>
            <td>${dash(row.requested_by)}</td>
            <td class="task-status status-${row.status}">${row.status}</td>
            <td>${row.started_at}</td>
            <td>${formatDuration(row.duration_ms)}</td>
            <td>${row.outcome}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export interface Overview {
  workers: Loaded<FleetWorker[]>;
  approvals: Loaded<ApprovalRow[]>;
  tasks: Loaded<TaskRow[]>;
}

export function overviewPage(data: Overview, frame: Frame): string {
  return page(
    { title: 'overview', ...frame },
    html`${section('Workers', data.workers, workersTable)}
    ${section('Pending approvals', data.approvals, (rows) => approvalsTable(rows, frame))}
    ${section('Recent tasks', data.tasks, tasksTable)}`,
  );
}

/** A closed run approved: who decided, from the update in its history. */
function decidedBlock(decided: DecidedInHistory): Html {
  const { outcome, decision } = decided;
  return html`<section>
    <h2>Approval</h2>
    <table id="approval">
      <tbody>
        <tr>
          <th>status</th>
          <td class="approval-status status-${outcome.decision}">${outcome.decision}</td>
        </tr>
        <tr>
          <th>decision</th>
          <td>
            ${outcome.by} via ${decision.via ?? '-'} at ${outcome.at}${decision.comment ? `: ${decision.comment}` : ''}
          </td>
        </tr>
        <tr>
          <th>checked against</th>
          <td class="summary">${outcome.saw.summary}</td>
        </tr>
      </tbody>
    </table>
  </section>`;
}

function approvalBlock(
  task: TaskStory,
  approval: ApprovalState | null,
  decided: DecidedInHistory | null,
  frame: Frame,
): Html {
  if (approval === null) return decided === null ? html`` : decidedBlock(decided);
  const decision = approval.decision;
  const row = { worker_id: task.workerId, task_id: task.taskId };
  return html`<section>
    <h2>Approval</h2>
    <table id="approval">
      <tbody class="approval" data-worker="${task.workerId}" data-task="${task.taskId}">
        <tr>
          <th>status</th>
          <td class="approval-status status-${approval.status}">${approval.status}</td>
        </tr>
        <tr>
          <th>what it will do</th>
          <td class="summary">${approval.request.summary}</td>
        </tr>
        <tr>
          <th>requested</th>
          <td>${approval.requested_at} by ${dash(approval.requested_by)}; expires ${approval.expires_at}</td>
        </tr>
        <tr>
          <th>deciders</th>
          <td>${approval.deciders.length === 0 ? 'anyone' : approval.deciders.join(', ')}</td>
        </tr>
        ${
          decision === null
            ? ''
            : html`<tr>
                <th>decision</th>
                <td>
                  ${decision.by} via ${decision.via} at
                  ${decision.at}${decision.comment === null ? '' : `: ${decision.comment}`}
                </td>
              </tr>`
        }
        ${
          approval.superseded_by === null
            ? ''
            : html`<tr>
                <th>superseded by</th>
                <td>${approval.superseded_by}</td>
              </tr>`
        }
        ${
          approval.status === 'pending'
            ? html`<tr>
                <th>decide</th>
                <td>
                  ${decisionControls(row, frame)}
                  <p class="decision-msg" role="status"></p>
                </td>
              </tr>`
            : ''
        }
      </tbody>
    </table>
  </section>`;
}

export interface TaskApproval {
  /** The running task's query answer, or a closed one's result (rejected, expired). */
  state: ApprovalState | null;
  /** A closed task's accepted decision, from its history. */
  decided: DecidedInHistory | null;
}

export function taskPage(task: TaskStory, approval: TaskApproval, frame: Frame): string {
  const { description, story } = task;
  const input = story.input ?? {};
  const status = taskStatusOf(description.status.name, story.end);
  const closed = description.closeTime?.toISOString() ?? null;
  const entries = [...story.entries, ...story.inFlight.values()].sort((a, b) => a.offsetMs - b.offsetMs);
  const result = story.end?.result === undefined ? null : JSON.stringify(story.end.result, null, 2);
  return page(
    { title: `task ${task.taskId}`, ...frame },
    html`<section>
        <h2>Task</h2>
        <table id="task">
          <tbody>
            <tr>
              <th>task</th>
              <td>${task.taskId} (${description.type}, worker ${task.workerId})</td>
            </tr>
            <tr>
              <th>label</th>
              <td>${dash(input.label)}</td>
            </tr>
            <tr>
              <th>requested by</th>
              <td>${dash(input.requested_by)}</td>
            </tr>
            <tr>
              <th>workflow</th>
              <td><code>${task.workflowId}</code> run <code>${description.runId}</code></td>
            </tr>
            <tr>
              <th>status</th>
              <td class="task-status status-${status}">${status}</td>
            </tr>
            <tr>
              <th>started</th>
              <td>${description.startTime.toISOString()}</td>
            </tr>
            <tr>
              <th>closed</th>
              <td>${dash(closed)}</td>
            </tr>
          </tbody>
        </table>
      </section>
      ${approvalBlock(task, approval.state, approval.decided, frame)}
      <section>
        <h2>Timeline</h2>
        <table id="timeline">
          <thead>
            <tr>
              <th>at</th>
              <th>step</th>
              <th>outcome</th>
              <th>took</th>
              <th>attempt</th>
              <th>error</th>
            </tr>
          </thead>
          <tbody>
            ${entries.map(
              (entry) =>
                html`<tr>
                  <td>+${formatDuration(entry.offsetMs)}</td>
                  <td>${entry.compensation ? 'undo: ' : ''}${entry.name}</td>
                  <td>${entry.outcome}</td>
                  <td>${formatDuration(entry.durationMs)}</td>
                  <td>${dash(entry.attempt)}</td>
                  <td>${dash(entry.error)}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </section>
      ${
        result === null
          ? ''
          : html`<section>
              <h2>Result</h2>
              <pre id="result">${result}</pre>
            </section>`
      }`,
  );
}

export function errorPage(title: string, message: string, frame: Frame): string {
  return page(
    { title, ...frame },
    html`<p class="error">${message}</p>
      <p><a href="/">back to the overview</a></p>`,
  );
}
