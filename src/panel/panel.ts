/**
 * The operator web panel (issue 14), served by `supervisor start` on its HTTP port through the routes hook
 * of observability/http.ts: `/` (workers, pending approvals, recent tasks), `/tasks/<worker>/<task_id>`
 * (one task's timeline), its two static files, and `POST /api/approvals/<worker>/<task_id>/approve|reject`.
 * Reading needs nothing; a decision needs an operator token and passes the CSRF checks of auth.ts.
 * Nothing here logs a request header.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Client } from '@temporalio/client';
import { WorkerId } from '../config/schema.js';
import type { ApprovalDecisionKind, ApprovalState } from '../contract/approvals.js';
import { APPROVAL_DECISIONS, approvalQuery } from '../contract/approvals.js';
import { isTaskId } from '../contract/ids.js';
import type { Logger } from '../observability/logger.js';
import { DecisionRefused, decideApproval, listApprovals } from '../operator/approvals.js';
import { collectFleet } from '../operator/fleet.js';
import { UnknownTaskError, readTaskStory } from '../operator/task-logs.js';
import type { TaskStory } from '../operator/task-logs.js';
import { listTasks } from '../operator/tasks.js';
import { APP_JS, PANEL_CSS } from './assets.js';
import { CSRF_COOKIE, csrfProblem, newCsrfToken, operatorFor } from './auth.js';
import type { Frame, Loaded } from './pages.js';
import { errorPage, overviewPage } from './pages.js';
import { taskPage } from './task-page.js';

export interface PanelOptions {
  client: Client;
  /** `http.operator_tokens`: operator name → token. Empty: read-only. */
  operatorTokens: Readonly<Record<string, string>>;
  logger: Logger;
  /** Rows of the overview's tables. */
  limit?: number;
}

export interface Panel {
  routes(request: IncomingMessage, response: ServerResponse): Promise<boolean>;
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};
const MAX_BODY = 16 * 1024;
const MAX_COMMENT = 500;

/** A client error with its status: the message is shown to the operator as is. */
class PanelError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'PanelError';
  }
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function loaded<T>(read: Promise<T>): Promise<Loaded<T>> {
  try {
    return { ok: true, value: await read };
  } catch (error) {
    return { ok: false, error: messageOf(error) };
  }
}

function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
) {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, ...extra }).end(body);
}

const json = (response: ServerResponse, status: number, body: unknown): void =>
  send(response, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);

/** Path segments after `prefix`, decoded; null when they do not decode. */
function segments(route: string, prefix: string): string[] | null {
  try {
    return route.slice(prefix.length).split('/').map(decodeURIComponent);
  } catch {
    return null;
  }
}

function checkIds(workerId: string | undefined, taskId: string | undefined): { workerId: string; taskId: string } {
  if (workerId === undefined || !WorkerId.safeParse(workerId).success) throw new PanelError(404, 'no such worker id');
  if (taskId === undefined || !isTaskId(taskId)) throw new PanelError(404, 'no such task id');
  return { workerId, taskId };
}

async function readBody(request: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new PanelError(413, `the body is larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function commentOf(body: string): string | null {
  let parsed: unknown;
  try {
    parsed = body.trim() === '' ? {} : JSON.parse(body);
  } catch {
    throw new PanelError(400, 'the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new PanelError(400, 'the body must be a JSON object {comment}');
  const { comment } = parsed as { comment?: unknown };
  if (comment === undefined || comment === null || comment === '') return null;
  if (typeof comment !== 'string' || comment.length > MAX_COMMENT)
    throw new PanelError(400, `comment must be a string of at most ${MAX_COMMENT} characters`);
  return comment;
}

/** A running task's approval from its query; a closed one's from its result. */
async function approvalOf(client: Client, task: TaskStory): Promise<ApprovalState | null> {
  if (task.description.status.name === 'RUNNING')
    return client.workflow
      .getHandle(task.workflowId, task.description.runId)
      .query(approvalQuery)
      .catch(() => null);
  const result = task.story.end?.result as { details?: { approval?: ApprovalState } } | undefined;
  return result?.details?.approval ?? null;
}

export function createPanel(options: PanelOptions): Panel {
  const { client, operatorTokens, logger } = options;
  const limit = options.limit ?? 25;
  const csrf = newCsrfToken();
  const decisions = Object.keys(operatorTokens).length > 0;
  // Operator names only: a token is never logged.
  logger.info(
    { operators: Object.keys(operatorTokens) },
    decisions
      ? 'web panel at /: decisions need an operator token'
      : 'web panel at /: read-only (no http.operator_tokens)',
  );
  const cookie = `${CSRF_COOKIE}=${csrf}; Path=/; SameSite=Strict; HttpOnly`;

  const htmlPage = (response: ServerResponse, status: number, body: string): void =>
    send(response, status, 'text/html; charset=utf-8', body, { 'set-cookie': cookie });

  async function overview(response: ServerResponse, query: URLSearchParams): Promise<void> {
    const refresh = Number(query.get('refresh'));
    const frame: Frame = {
      csrf,
      decisions,
      ...(refresh >= 2 && refresh <= 3600 ? { refresh: Math.round(refresh) } : {}),
    };
    const [workers, approvals, tasks] = await Promise.all([
      loaded(collectFleet(client)),
      loaded(listApprovals(client, { workerId: null, all: false, limit })),
      loaded(listTasks(client, { workerId: null, limit })),
    ]);
    htmlPage(response, 200, overviewPage({ workers, approvals, tasks }, frame));
  }

  async function task(response: ServerResponse, route: string): Promise<void> {
    const frame: Frame = { csrf, decisions };
    const [workerId, taskId, ...rest] = segments(route, '/tasks/') ?? [];
    try {
      if (rest.length > 0) throw new PanelError(404, 'no such page');
      const ids = checkIds(workerId, taskId);
      const story = await readTaskStory(client, ids.taskId, ids.workerId);
      htmlPage(response, 200, taskPage(story, await approvalOf(client, story), frame));
    } catch (error) {
      if (error instanceof UnknownTaskError)
        return htmlPage(response, 404, errorPage('unknown task', error.message, frame));
      if (error instanceof PanelError)
        return htmlPage(response, error.status, errorPage('not found', error.message, frame));
      throw error;
    }
  }

  async function decide(request: IncomingMessage, response: ServerResponse, route: string): Promise<void> {
    const [workerId, taskId, kind, ...rest] = segments(route, '/api/approvals/') ?? [];
    if (rest.length > 0 || !APPROVAL_DECISIONS.includes(kind as ApprovalDecisionKind))
      throw new PanelError(404, 'POST /api/approvals/<worker>/<task_id>/approve or /reject');
    const ids = checkIds(workerId, taskId);
    const problem = csrfProblem(request, csrf);
    if (problem !== null) throw new PanelError(403, problem);
    if (!decisions) throw new PanelError(401, 'the panel is read-only: no http.operator_tokens are configured');
    const authorization = request.headers.authorization;
    const operator = operatorFor(operatorTokens, authorization);
    if (operator === null)
      throw new PanelError(
        401,
        authorization === undefined
          ? 'an operator token is needed to decide: enter it above'
          : 'that operator token is not valid',
      );
    const comment = commentOf(await readBody(request));
    const decisionKind = kind as ApprovalDecisionKind;
    const outcome = await decideApproval(client, {
      ...ids,
      kind: decisionKind,
      decision: { by: operator, comment, via: 'panel' },
    });
    logger.info(
      { operator, worker_id: ids.workerId, task_id: ids.taskId, decision: outcome.decision },
      'panel decision',
    );
    json(response, 200, { ok: true, outcome, message: `${outcome.decision} by ${outcome.by}: ${outcome.saw.summary}` });
  }

  async function api(request: IncomingMessage, response: ServerResponse, route: string): Promise<void> {
    try {
      if (request.method !== 'POST') throw new PanelError(405, 'decisions are POSTed');
      await decide(request, response, route);
    } catch (error) {
      if (error instanceof PanelError) return json(response, error.status, { error: error.message });
      if (error instanceof DecisionRefused) return json(response, 409, { error: error.message });
      logger.error({ error: messageOf(error), route }, 'panel decision failed');
      json(response, 502, { error: `the decision could not be sent: ${messageOf(error)}` });
    }
  }

  async function routes(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const url = new URL(request.url ?? '/', 'http://panel.invalid');
    const route = url.pathname;
    if (route.startsWith('/api/approvals/')) {
      await api(request, response, route);
      return true;
    }
    // No icon: an empty answer, so the browser's automatic request is no 404 in its console.
    if (route === '/favicon.ico') {
      response.writeHead(204, SECURITY_HEADERS).end();
      return true;
    }
    const ours = route === '/' || route.startsWith('/tasks/') || route.startsWith('/panel/');
    if (!ours) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
      return true;
    }
    if (route === '/') await overview(response, url.searchParams);
    else if (route.startsWith('/tasks/')) await task(response, route);
    else if (route === '/panel/app.js') send(response, 200, 'text/javascript; charset=utf-8', APP_JS);
    else if (route === '/panel/panel.css') send(response, 200, 'text/css; charset=utf-8', PANEL_CSS);
    else send(response, 404, 'text/plain; charset=utf-8', 'not found\n');
    return true;
  }

  return { routes };
}
