/**
 * One task's page: its header, its approval (pending with the decision buttons, or how it was decided)
 * and the timeline of its history. A pure function of what operator/task-logs.ts reads.
 */
import type { ApprovalState } from '../contract/approvals.js';
import { formatDuration } from '../operator/format.js';
import type { TaskStory } from '../operator/task-logs.js';
import { taskStatusOf } from '../operator/timeline.js';
import type { Html } from './html.js';
import { html, page } from './html.js';
import type { Frame } from './pages.js';
import { dash, decisionControls } from './pages.js';

function approvalBlock(task: TaskStory, approval: ApprovalState | null, frame: Frame): Html {
  if (approval === null) return html``;
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

/** `approval`: the running task's query answer, or a closed one's from its result; null when it asked none. */
export function taskPage(task: TaskStory, approval: ApprovalState | null, frame: Frame): string {
  const { description, story } = task;
  const input = story.input ?? {};
  const status = taskStatusOf(description.status.name, story);
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
      ${approvalBlock(task, approval, frame)}
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
