/**
 * The panel over real HTTP, against a real worker on the engine: the pages read without credentials (CSP
 * on, a hostile commit subject escaped), and the decision API refuses with 403 (CSRF), 401 (token) and
 * 409 (the workflow's reason) before it accepts a decider's reject. No token ever reaches the log.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { HandlerResult } from '../../../src/contract/handlers.js';
import { Registry } from 'prom-client';
import { createLogger } from '../../../src/observability/logger.js';
import { startHttpServer } from '../../../src/observability/http.js';
import { CSRF_COOKIE } from '../../../src/panel/auth.js';
import { createPanel } from '../../../src/panel/panel.js';
import { useSupervisorEnv } from '../../helpers/use-supervisor-env.js';
import { startPanelEnv } from './panel-env.js';
import type { PanelEnv } from './panel-env.js';

const HOSTILE = 'fix <img src=x onerror=alert(1)> parser';

describe('web panel over HTTP', () => {
  const env = useSupervisorEnv();
  let panel: PanelEnv;
  let csrf: string;

  beforeAll(async () => {
    panel = await startPanelEnv(env);
    await panel.pendingRollback('rb_hostile', ['good', HOSTILE]);
  });
  afterAll(async () => {
    await panel?.stop();
  });

  const post = (path: string, headers: Record<string, string>, body = '{"comment":"ok"}') =>
    fetch(`${panel.base}${path}`, { method: 'POST', headers, body });
  const panelHeaders = (extra: Record<string, string> = {}): Record<string, string> => ({
    'content-type': 'application/json',
    'x-csrf-token': csrf,
    cookie: `${CSRF_COOKIE}=${csrf}`,
    ...extra,
  });
  const errorOf = async (response: Response): Promise<string> => ((await response.json()) as { error: string }).error;

  it('the overview lists the pending rollback with its commits, escaped, under a strict CSP', async () => {
    const response = await fetch(`${panel.base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'self'/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(new RegExp(`^${CSRF_COOKIE}=[\\w-]+; Path=/; SameSite=Strict; HttpOnly$`));
    const body = await response.text();
    csrf = /<meta name="csrf-token" content="([\w-]+)"/.exec(body)?.[1] ?? '';
    expect(cookie).toContain(csrf);
    expect(body).toContain('data-task="rb_hostile"');
    expect(body).toContain('fix &lt;img src=x onerror=alert(1)&gt; parser');
    expect(body).not.toContain('<img');
    expect(body).toMatch(/revert 2 commit\(s\)/);
    for (const token of Object.values(panel.tokens)) expect(body).not.toContain(token);

    const script = await fetch(`${panel.base}/panel/app.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).toContain('X-CSRF-Token');
  });

  it('the task page shows the timeline and the pending approval', async () => {
    const response = await fetch(`${panel.base}/tasks/${panel.config.worker_id}/rb_hostile`);
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(body).toContain('approvalSnapshot');
    expect(body).toContain('class="approval-status status-pending"');
    expect(body).not.toContain('<img');
    expect((await fetch(`${panel.base}/tasks/${panel.config.worker_id}/nope`)).status).toBe(404);
    expect((await fetch(`${panel.base}/tasks/${panel.config.worker_id}/%3Cx%3E`)).status).toBe(404);
  });

  it('refuses cross-site and malformed requests with 403, before looking at the token', async () => {
    const path = `/api/approvals/${panel.config.worker_id}/rb_hostile/approve`;
    const bearer = { authorization: `Bearer ${panel.tokens.alice}` };
    const cases: [string, Record<string, string>][] = [
      ['content type', { ...panelHeaders(bearer), 'content-type': 'text/plain' }],
      ['no csrf header', { ...bearer, 'content-type': 'application/json', cookie: `${CSRF_COOKIE}=${csrf}` }],
      ['wrong csrf header', panelHeaders({ ...bearer, 'x-csrf-token': 'forged' })],
      ['no cookie', { ...bearer, 'content-type': 'application/json', 'x-csrf-token': csrf }],
      ['other origin', panelHeaders({ ...bearer, origin: 'http://evil.example' })],
      ['cross-site fetch', panelHeaders({ ...bearer, 'sec-fetch-site': 'cross-site' })],
    ];
    for (const [what, headers] of cases) {
      const response = await post(path, headers);
      expect([what, response.status]).toEqual([what, 403]);
      expect(await errorOf(response)).not.toMatch(/at .*\.ts/);
    }
    expect((await panel.approval('rb_hostile'))?.status).toBe('pending');
  });

  it('refuses without a token or with a wrong one (401), and a non-decider with the reason (409)', async () => {
    const path = `/api/approvals/${panel.config.worker_id}/rb_hostile/approve`;
    const none = await post(path, panelHeaders({ origin: panel.base }));
    expect(none.status).toBe(401);
    expect(await errorOf(none)).toMatch(/operator token is needed/);
    const wrong = await post(path, panelHeaders({ authorization: `Bearer ${panel.tokens.alice}x` }));
    expect(wrong.status).toBe(401);
    expect(await errorOf(wrong)).toMatch(/not valid/);
    const mallory = await post(path, panelHeaders({ authorization: `Bearer ${panel.tokens.mallory}` }));
    expect(mallory.status).toBe(409);
    expect(await errorOf(mallory)).toMatch(/mallory/);
    const unknown = await post(
      `/api/approvals/${panel.config.worker_id}/no_such/approve`,
      panelHeaders({ authorization: `Bearer ${panel.tokens.alice}` }),
    );
    expect(unknown.status).toBe(409);
    expect(await errorOf(unknown)).toMatch(/no task no_such/);
    expect((await post(path, panelHeaders({ authorization: `Bearer ${panel.tokens.alice}` }), '[1]')).status).toBe(400);
    expect((await fetch(`${panel.base}${path}`)).status).toBe(405);
    expect((await panel.approval('rb_hostile'))?.status).toBe('pending');
  });

  it('a decider rejects with the token: the task ends unexecuted, decided by the token NAME via the panel', async () => {
    const path = `/api/approvals/${panel.config.worker_id}/rb_hostile/reject`;
    const head = await panel.repo.head(panel.repo.work);
    const response = await post(
      path,
      panelHeaders({ authorization: `Bearer ${panel.tokens.alice}` }),
      '{"comment":"not now"}',
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, outcome: { decision: 'rejected', by: 'alice' } });
    const result = (await env.client.workflow
      .getHandle(`${panel.config.worker_id}/rb_hostile`)
      .result()) as HandlerResult;
    expect(result.success).toBe(false);
    expect(result.details).toMatchObject({
      executed: false,
      approval: { status: 'rejected', decision: { by: 'alice', via: 'panel', comment: 'not now' } },
    });
    expect(await panel.repo.head(panel.repo.work)).toBe(head);
    const again = await post(path, panelHeaders({ authorization: `Bearer ${panel.tokens.alice}` }));
    expect(again.status).toBe(409);
    expect(await errorOf(again)).toMatch(/already ended/);
  });

  it('without operator tokens the panel is read-only: no buttons, and every decision is a 401', async () => {
    const logger = createLogger({ level: 'fatal', console: { write: () => true } }).logger;
    const readOnly = createPanel({ client: env.client, operatorTokens: {}, logger });
    const server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      registry: new Registry(),
      readiness: () => ({}),
      logger,
      routes: readOnly.routes,
    });
    try {
      const base = `http://${server.address}`;
      const body = await (await fetch(`${base}/`)).text();
      expect(body).toContain('Read-only');
      expect(body).not.toContain('data-kind=');
      const token = /<meta name="csrf-token" content="([\w-]+)"/.exec(body)?.[1] ?? '';
      const response = await fetch(`${base}/api/approvals/${panel.config.worker_id}/rb_hostile/approve`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-csrf-token': token,
          cookie: `${CSRF_COOKIE}=${token}`,
          authorization: `Bearer ${panel.tokens.alice}`,
        },
        body: '{}',
      });
      expect(response.status).toBe(401);
      expect(await errorOf(response)).toMatch(/read-only/);
    } finally {
      await server.close();
    }
  });

  it('the built-in endpoints still answer, other methods still refused, and no token reached the log', async () => {
    expect((await fetch(`${panel.base}/healthz`)).status).toBe(200);
    expect((await fetch(`${panel.base}/metrics`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${panel.base}/`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${panel.base}/nothing`)).status).toBe(404);
    const log = panel.logs.join('');
    expect(log).toContain('panel decision');
    expect(log).toContain('"operator":"alice"');
    for (const token of Object.values(panel.tokens)) expect(log).not.toContain(token);
    expect(log).not.toMatch(/bearer/i);
  });
});
