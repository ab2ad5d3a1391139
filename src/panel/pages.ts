/**
 * The panel's overview page (workers, pending approvals, recent tasks) and the pieces the task page shares.
 * Pure functions of their data; every value goes through `html`.
 */
import type { ApprovalRow } from '../operator/approvals.js';
import type { FleetWorker } from '../operator/fleet.js';
import { formatDuration } from '../operator/format.js';
import type { TaskRow } from '../operator/tasks.js';
import type { Html } from './html.js';
import { html, page } from './html.js';

/** A section's data, or why it could not be read (a message, never a stack trace). */
export type Loaded<T> = { ok: true; value: T } | { ok: false; error: string };

export interface Frame {
  csrf: string;
  decisions: boolean;
  refresh?: number;
}

export const taskHref = (workerId: string, taskId: string): string =>
  `/tasks/${encodeURIComponent(workerId)}/${encodeURIComponent(taskId)}`;
export const dash = (value: unknown): unknown => (value === null || value === undefined || value === '' ? '-' : value);

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

export function decisionControls(row: { worker_id: string; task_id: string }, frame: Frame): Html {
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

export function errorPage(title: string, message: string, frame: Frame): string {
  return page(
    { title, ...frame },
    html`<p class="error">${message}</p>
      <p><a href="/">back to the overview</a></p>`,
  );
}
