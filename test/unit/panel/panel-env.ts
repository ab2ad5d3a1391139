/**
 * The web panel's test set-up: a worker whose rollback_code needs approval (deciders `alice` and `carol`),
 * operator tokens for alice and mallory (not a decider), a real git repository, the watcher running, and
 * the panel served by the real HTTP server with a logger whose every line is kept (to look for tokens).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { Registry } from 'prom-client';
import type { Config } from '../../../src/config/schema.js';
import type { ApprovalState } from '../../../src/contract/approvals.js';
import { approvalQuery } from '../../../src/contract/approvals.js';
import { createLogger } from '../../../src/observability/logger.js';
import { startHttpServer } from '../../../src/observability/http.js';
import type { HttpServer } from '../../../src/observability/http.js';
import { createPanel } from '../../../src/panel/panel.js';
import { activitiesFor } from '../../helpers/activities.js';
import { makeGitFixture } from '../../helpers/git.js';
import type { GitFixture } from '../../helpers/git.js';
import { waitFor } from '../../helpers/process.js';
import type { RunningWorker, SupervisorEnv } from '../../helpers/supervisor-env.js';
import { makeTempDir } from '../../helpers/tmp.js';
import type { TempDir } from '../../helpers/tmp.js';
import { killSeen, seenPids, waitForBeat } from '../../integration/handlers/support.js';

export interface PanelEnv {
  config: Config;
  repo: GitFixture;
  base: string;
  tokens: { alice: string; mallory: string };
  /** Every log line the panel's logger wrote (level debug). */
  logs: string[];
  /** Commits `subjects` in the supervised clone, then starts a rollback_code of them that waits for approval. */
  pendingRollback(taskId: string, subjects: string[]): Promise<WorkflowHandle>;
  approval(taskId: string): Promise<ApprovalState | null>;
  stop(): Promise<void>;
}

export async function startPanelEnv(env: SupervisorEnv): Promise<PanelEnv> {
  const temp: TempDir = await makeTempDir('ts-panel-');
  const repo = await makeGitFixture(temp.path);
  const tokens = { alice: randomBytes(18).toString('base64url'), mallory: randomBytes(18).toString('base64url') };
  const config = env.config(path.join(temp.path, 'nas'), {
    repoDir: repo.work,
    extra: {
      approvals: { handlers: { rollback_code: { expires: '10m' } }, deciders: ['alice', 'carol'] },
      http: { operator_tokens: tokens },
    },
  });
  const worker: RunningWorker = await env.startWorker(config);
  const { pid } = await activitiesFor(config).startWatcher();
  seenPids.add(pid);
  await waitForBeat(config, pid);

  const logs: string[] = [];
  const { logger } = createLogger({ level: 'debug', console: { write: (line: string) => logs.push(line) > 0 } });
  const panel = createPanel({ client: env.client, operatorTokens: config.http.operator_tokens, logger });
  const http: HttpServer = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    registry: new Registry(),
    readiness: () => ({ worker: true }),
    logger,
    routes: panel.routes,
  });

  const approval = (taskId: string): Promise<ApprovalState | null> =>
    env.client.workflow.getHandle(`${config.worker_id}/${taskId}`).query(approvalQuery);

  return {
    config,
    repo,
    base: `http://${http.address}`,
    tokens,
    logs,
    async pendingRollback(taskId, subjects) {
      for (const [i, subject] of subjects.entries()) await repo.commit(repo.work, subject, { [`f${i}.txt`]: `${i}\n` });
      const handle = await env.start(config, {
        task_id: taskId,
        handler: 'rollback_code',
        label: 'undo last',
        requested_by: 'ops',
        params: { commits_back: subjects.length },
      });
      await waitFor(
        `approval of ${taskId} pending`,
        async () => (await approval(taskId).catch(() => null))?.status === 'pending',
      );
      return handle;
    },
    approval,
    async stop() {
      await http.close();
      await worker.stop();
      killSeen();
      await temp.cleanup();
    },
  };
}
