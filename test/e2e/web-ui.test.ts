/**
 * The real Temporal Web UI (of `temporal server start-dev`) shows a supervisor handler's run: a
 * restart_watcher started as the ingest starts a flag, run by the supervisor's own worker, then opened in
 * Debian's chromium through playwright-core. The page must show the flag's task id (the input), the result,
 * the activities of its history and the search attributes; a screenshot goes to test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import type { Config } from '../../src/config/schema.js';
import type { HandlerResult } from '../../src/contract/handlers.js';
import { handlerWorkflowId, taskQueueOf } from '../../src/contract/ids.js';
import { Flag } from '../../src/flags/schema.js';
import { startFlagWorkflow } from '../../src/ingest/starter.js';
import { isolateGitEnv } from '../helpers/git.js';
import { killAll } from '../helpers/process.js';
import { startSupervisorEnv } from '../helpers/supervisor-env.js';
import type { SupervisorEnv } from '../helpers/supervisor-env.js';
import type { RunningWorker } from '../helpers/supervisor-env.js';
import { realServerMissing } from '../helpers/temporal-server.js';
import { makeTempDir } from '../helpers/tmp.js';
import type { TempDir } from '../helpers/tmp.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');
const why =
  realServerMissing() ?? (existsSync(CHROMIUM) ? undefined : `no chromium at ${CHROMIUM} (apt-get install chromium)`);
if (why !== undefined) console.warn(`test/e2e/web-ui.test.ts skipped: ${why}`);

(why === undefined ? describe : describe.skip)(
  why === undefined ? 'the real Temporal Web UI shows a handler run' : `the real Temporal Web UI (skipped: ${why})`,
  () => {
    let env: SupervisorEnv;
    let temp: TempDir;
    let config: Config;
    let worker: RunningWorker;
    let browser: Browser;
    let page: Page;
    let runId: string;
    let result: HandlerResult;
    const taskId = 'ui-restart';

    beforeAll(async () => {
      isolateGitEnv();
      env = await startSupervisorEnv({ kind: 'temporal-cli', ui: true });
      temp = await makeTempDir('web-ui-');
      config = env.config(temp.path);
      worker = await env.startWorker(config);
      const flag = Flag.parse({ task_id: taskId, handler: 'restart_watcher', label: 'web-ui', requested_by: 'ops' });
      const started = await startFlagWorkflow(env.client, {
        flag,
        workerId: config.worker_id,
        taskQueue: taskQueueOf(config),
        file: `${taskId}.json`,
        sha256: 'web-ui',
      });
      if (started.kind !== 'started') throw new Error(`the run was not started: ${JSON.stringify(started)}`);
      runId = started.runId;
      result = (await env.client.workflow.getHandle(started.workflowId).result()) as HandlerResult;
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
      page = await browser.newPage({ viewport: { width: 1400, height: 1800 } });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await worker?.stop();
      await env?.teardown();
      const pid = (result?.details as { pid?: number } | undefined)?.pid;
      if (pid !== undefined) killAll([pid]);
      await temp?.cleanup();
    }, 60_000);

    it('the workflow page shows the input, the result and the activities', async () => {
      expect(result.success).toBe(true);
      const workflowId = handlerWorkflowId(config.worker_id, taskId);
      const url = `${env.server.uiAddress}/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${runId}/history`;
      await page.goto(url);
      mkdirSync(ARTIFACTS, { recursive: true });
      const shoot = async (name: string): Promise<void> => {
        const shot = path.join(ARTIFACTS, `web-ui-${name}.png`);
        await page.screenshot({ path: shot, fullPage: true });
        console.log(`Web UI screenshot: ${shot} (${url})`);
      };
      const shown = (text: string, exact = false): Promise<void> =>
        page.getByText(text, { exact }).first().waitFor({ timeout: 30_000 });
      try {
        await shown(workflowId);
        await shown('Completed', true);
        for (const activity of ['stopWatcher', 'startWatcher', 'writeResult']) await shown(activity, true);
        // Input and result are JSON code blocks: the flag's task id and the new watcher pid.
        await shown(`"task_id": "${taskId}"`);
        await shown(`"pid": ${String((result.details as { pid: number }).pid)}`);
      } finally {
        await shoot('history');
      }
      // The ingest's start carries the supervisor's search attributes: the UI lists them on their own tab.
      await page.getByText('Search Attributes', { exact: true }).first().click();
      try {
        await shown(`"WorkerId": "${config.worker_id}"`);
        await shown('"Handler": "restart_watcher"');
        await shown('"TaskLabel": "web-ui"');
      } finally {
        await shoot('search-attributes');
      }
    });
  },
);
