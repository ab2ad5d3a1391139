/**
 * Differential conformance: the same scenarios, workflow bundle and worker code run on the embedded engine and
 * on the official dev server (`temporal server start-dev`), and every run's history must have the same shape
 * (history-diff.ts) and the same outcome on both. A difference is an engine bug, or a deliberate difference
 * documented in docs/engine-differences.md and named in DELIBERATE below.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadWorkflowBundle } from './bundle.js';
import { SCENARIOS } from './differential-scenarios.js';
import type { Scenario, ScenarioContext } from './differential-scenarios.js';
import { eventTypes } from './helpers.js';
import { historyShape, shapeDiff } from './history-diff.js';
import { collectRunHistories } from './histories.js';
import type { RunRef } from './histories.js';
import { installQuietRuntime } from './runtime.js';
import { waitFor } from '../helpers/process.js';
import { realServerMissing, startTestServer } from '../helpers/temporal-server.js';
import type { ServerKind, TestServer } from '../helpers/temporal-server.js';

/** Scenarios whose histories differ on purpose, with the reason (see docs/engine-differences.md). */
const DELIBERATE: Record<string, string> = {};

interface Side {
  kind: ServerKind;
  server: TestServer;
  connection: Connection;
  native: NativeConnection;
  client: Client;
}

interface Ran {
  outcome: string;
  shapes: { workflowId: string; shape: string[] }[];
}

let bundle: { code: string };

async function openSide(kind: ServerKind): Promise<Side> {
  const server = await startTestServer({ kind });
  const connection = await Connection.connect({ address: server.address });
  const native = await NativeConnection.connect({ address: server.address });
  return { kind, server, connection, native, client: new Client({ connection }) };
}

async function closeSide(side: Side | undefined): Promise<void> {
  if (side === undefined) return;
  await side.connection.close();
  await side.native.close();
  await side.server.stop();
}

async function runOn(side: Side, scenario: Scenario, label: string): Promise<Ran> {
  const base = `diff-${label}`;
  const taskQueue = `${base}-${side.kind}`;
  const roots: RunRef[] = [];
  const ctx: ScenarioContext = {
    async start(workflowType, args, suffix) {
      const workflowId = suffix === undefined ? base : `${base}-${suffix}`;
      const handle = await side.client.workflow.start(workflowType, { taskQueue, workflowId, args });
      roots.push({ workflowId, runId: handle.firstExecutionRunId });
      return handle;
    },
    handleOf: (suffix) => side.client.workflow.getHandle(`${base}-${suffix}`),
    childId: (suffix) => `${base}-${suffix}`,
    async withWorker(activities, fn) {
      const worker = await Worker.create({
        connection: side.native,
        taskQueue,
        workflowBundle: bundle,
        activities,
        shutdownGraceTime: '1s',
      });
      return await worker.runUntil(fn);
    },
    async idleWith(handle: WorkflowHandle, type: string, count = 1) {
      await waitFor(`${count} × ${type} in an idle ${handle.workflowId} on ${side.kind}`, async () => {
        const types = eventTypes(await handle.fetchHistory());
        return types.at(-1) === 'WORKFLOW_TASK_COMPLETED' && types.filter((t) => t === type).length >= count;
      });
    },
  };
  const outcome = await scenario.run(ctx);
  const histories = await collectRunHistories(side.client, roots);
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: bundle, replayName: 'differential' },
    histories,
  )) {
    if (result.error) throw new Error(`${side.kind}: ${result.workflowId} failed to replay: ${String(result.error)}`);
  }
  return { outcome, shapes: histories.map((h) => ({ workflowId: h.workflowId, shape: historyShape(h.history) })) };
}

function compare(engine: Ran, real: Ran): string {
  const out: string[] = [];
  if (engine.outcome !== real.outcome) out.push(`outcome\n- engine: ${engine.outcome}\n+ server: ${real.outcome}`);
  const ids = engine.shapes.map((s) => s.workflowId);
  const realIds = real.shapes.map((s) => s.workflowId);
  if (ids.join() !== realIds.join()) out.push(`runs\n- engine: ${ids.join(', ')}\n+ server: ${realIds.join(', ')}`);
  engine.shapes.forEach((e, i) => {
    const r = real.shapes[i];
    const diff =
      r === undefined ? '' : shapeDiff(e.shape, r.shape, [`engine ${e.workflowId}`, `server ${r.workflowId}`]);
    if (diff) out.push(diff);
  });
  return out.join('\n\n');
}

const missing = realServerMissing();
if (missing !== undefined) console.warn(`differential histories skipped: ${missing}`);
const describeBoth = missing === undefined ? describe : describe.skip;

describeBoth(
  missing === undefined
    ? 'differential histories: engine vs temporal server'
    : `differential histories [skipped: ${missing}]`,
  () => {
    let engine: Side | undefined;
    let real: Side | undefined;
    beforeAll(async () => {
      installQuietRuntime();
      bundle = await loadWorkflowBundle();
      [engine, real] = await Promise.all([openSide('engine'), openSide('temporal-cli')]);
    }, 120_000);
    afterAll(async () => {
      await Promise.all([closeSide(engine), closeSide(real)]);
    });

    it.each(SCENARIOS.map((s, i) => ({ ...s, label: `s${i}` })))('$name', async (scenario) => {
      const [onEngine, onReal] = await Promise.all([
        runOn(engine!, scenario, scenario.label),
        runOn(real!, scenario, scenario.label),
      ]);
      const diff = compare(onEngine, onReal);
      if (process.env.DIFF_DEBUG) {
        const shown = onReal.shapes.map((s) => `${s.workflowId}\n  ${s.shape.join('\n  ')}`).join('\n');
        process.stderr.write(`[differential] ${scenario.name}: ${onReal.outcome}\n${shown}\n`);
      }
      const reason = DELIBERATE[scenario.name];
      if (reason !== undefined) {
        // A documented difference: the histories must still differ (else the entry is stale) and replay.
        expect(diff).not.toBe('');
        console.warn(`${scenario.name}: deliberate difference (${reason}):\n${diff}`);
        return;
      }
      if (diff) throw new Error(`${scenario.name}: engine and server disagree\n${diff}`);
    });
  },
);

describe('history shape diff', () => {
  it('is empty for equal shapes and names every event only one side has', () => {
    expect(shapeDiff(['A', 'B x=1'], ['A', 'B x=1'], ['engine', 'server'])).toBe('');
    const diff = shapeDiff(['A', 'B x=1', 'C'], ['A', 'B x=2', 'C', 'D'], ['engine', 'server']);
    expect(diff.split('\n')).toEqual(['--- engine', '+++ server', '  A', '- B x=1', '+ B x=2', '  C', '+ D']);
  });
});
