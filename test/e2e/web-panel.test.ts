/**
 * The operator web panel in Debian's chromium (playwright-core), against a real worker whose rollback_code
 * needs approval: the overview lists the pending rollback with its commit; Approve without the operator
 * token shows the 401 and leaves it pending; with alice's token typed in, Approve runs it: after a reload
 * the task is completed and HEAD is the revert. Screenshots go to test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import type { HandlerResult } from '../../src/contract/handlers.js';
import { keepAliveWorkflowId } from '../../src/contract/ids.js';
import { ensureKeepAlive } from '../../src/supervision/keep-alive.js';
import { isolateGitEnv } from '../helpers/git.js';
import { waitFor } from '../helpers/process.js';
import { startSupervisorEnv } from '../helpers/supervisor-env.js';
import type { SupervisorEnv } from '../helpers/supervisor-env.js';
import { startPanelEnv } from '../unit/panel/panel-env.js';
import type { PanelEnv } from '../unit/panel/panel-env.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');
const why = existsSync(CHROMIUM) ? undefined : `no chromium at ${CHROMIUM} (apt-get install chromium)`;
if (why !== undefined) console.warn(`test/e2e/web-panel.test.ts skipped: ${why}`);

(why === undefined ? describe : describe.skip)(
  why === undefined ? 'the operator web panel in chromium' : `the operator web panel (skipped: ${why})`,
  () => {
    let env: SupervisorEnv;
    let panel: PanelEnv;
    let browser: Browser;
    let page: Page;
    const taskId = 'rb_panel';
    const pageErrors: string[] = [];

    beforeAll(async () => {
      isolateGitEnv();
      env = await startSupervisorEnv();
      panel = await startPanelEnv(env);
      // The workers table reads the keep-alive: run one, as `supervisor start` does.
      await ensureKeepAlive(env.client, panel.config);
      await panel.repo.commit(panel.repo.work, 'good', { 'good.txt': 'good\n' });
      await panel.pendingRollback(taskId, ['bad change']);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
      page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(message.text());
      });
      page.on('pageerror', (error) => pageErrors.push(error.message));
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await env?.client.workflow
        .getHandle(keepAliveWorkflowId(panel.config.worker_id))
        .terminate('test over')
        .catch(() => undefined);
      await panel?.stop();
      await env?.teardown();
    }, 60_000);

    const shoot = async (name: string): Promise<void> => {
      mkdirSync(ARTIFACTS, { recursive: true });
      const shot = path.join(ARTIFACTS, `web-panel-${name}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`web panel screenshot: ${shot}`);
    };
    const row = () => page.locator(`#approvals tr.approval[data-task="${taskId}"]`);

    it('approve without the token is refused (401) and the task stays pending; with it, the rollback runs', async () => {
      try {
        await page.goto(`${panel.base}/`);
        await expect(row().locator('.summary').textContent()).resolves.toMatch(/revert 1 commit\(s\) .* bad change/);
        await expect(
          page.locator(`#workers tr[data-worker="${panel.config.worker_id}"]`).textContent(),
        ).resolves.toContain('RUNNING');

        await row().locator('input.comment').fill('looks right');
        await row().getByRole('button', { name: 'Approve' }).click();
        await row().locator('.decision-msg', { hasText: '401' }).waitFor({ timeout: 15_000 });
        await expect(row().locator('.decision-msg').textContent()).resolves.toMatch(/operator token is needed/);
        await shoot('refused');
        expect((await panel.approval(taskId))?.status).toBe('pending');

        await page.locator('#operator-token').fill(panel.tokens.alice);
        await page.locator('#token-save').click();
        await page.locator('#token-state', { hasText: 'token set' }).waitFor();
        await row().getByRole('button', { name: 'Approve' }).click();
        await row().locator('.decision-msg', { hasText: 'approved by alice' }).waitFor({ timeout: 30_000 });

        const result = (await env.client.workflow
          .getHandle(`${panel.config.worker_id}/${taskId}`)
          .result()) as HandlerResult;
        expect(result).toMatchObject({ success: true, details: { commits_reverted: 1 } });
        await waitFor('the task completed on the reloaded page', async () => {
          await page.reload();
          const status = await page.locator(`#tasks tr[data-task="${taskId}"] .task-status`).textContent();
          return status === 'completed';
        });
        await expect(page.locator('#approvals').count()).resolves.toBe(0);
      } finally {
        await shoot('overview');
      }
      expect(await panel.repo.subjects(panel.repo.work, 3)).toEqual(['Revert "bad change"', 'bad change', 'good']);
      // The token lives in sessionStorage only: not in the page, the URL or the log.
      expect(await page.content()).not.toContain(panel.tokens.alice);
      expect(page.url()).not.toContain(panel.tokens.alice);
      expect(panel.logs.join('')).not.toContain(panel.tokens.alice);
      // No CSP violation or script error: the page works with `default-src 'self'`.
      expect(pageErrors.filter((text) => !/status of 401/.test(text))).toEqual([]);
    });

    it("the task page shows the timeline and alice's approval", async () => {
      await page.getByRole('link', { name: taskId }).first().click();
      await page.locator('#timeline').waitFor();
      await expect(page.locator('.approval-status').textContent()).resolves.toBe('approved');
      await expect(page.locator('#approval').textContent()).resolves.toMatch(/alice via panel at\s+\S+: looks right/);
      await expect(page.locator('.task-status').textContent()).resolves.toBe('completed');
      await expect(page.locator('#timeline').textContent()).resolves.toContain('revertCommit');
      await shoot('task');
    });

    it('every handler history replays', async () => {
      await env.replayAll();
    });
  },
);
