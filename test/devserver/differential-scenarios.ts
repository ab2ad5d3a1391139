/**
 * The deterministic scenarios of the differential suite. Each drives one workflow (and what it starts) through
 * a `ScenarioContext`, waiting for the run to be idle before every outside message so workflow task
 * boundaries do not depend on either server's speed, and returns a summary of the outcome to compare.
 */
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { waitFor } from '../helpers/process.js';
import { finishSignal, pokeSignal, stateQuery, echoQuery } from './workflows/definitions.js';
import type { ActivityCall } from './workflows/definitions.js';
import { addUpdate, doneSignal } from './workflows/updates.js';

export interface ScenarioContext {
  /** Starts a workflow on the scenario's queue under the scenario's id (plus `suffix`); its runs are compared. */
  start(workflowType: string, args: unknown[], suffix?: string): Promise<WorkflowHandle>;
  /** A handle on a workflow the scenario's workflow started (a child), by id suffix. */
  handleOf(suffix: string): WorkflowHandle;
  /** Runs `fn` with a worker on the scenario's queue, with these activities. */
  withWorker<R>(activities: object, fn: () => Promise<R>): Promise<R>;
  /** Resolves once the run's last event is a completed workflow task and it holds `count` events of `type`. */
  idleWith(handle: WorkflowHandle, type: string, count?: number): Promise<void>;
  /** The id a scenario gives a child: deterministic, the same on both servers. */
  childId(suffix: string): string;
}

export interface Scenario {
  name: string;
  run(ctx: ScenarioContext): Promise<string>;
}

/** A result or a failure chain as one comparable line. */
export async function outcomeOf(handle: WorkflowHandle, pick: (value: unknown) => unknown = (v) => v): Promise<string> {
  try {
    return `result ${JSON.stringify(pick(await handle.result()))}`;
  } catch (err) {
    const chain: string[] = [];
    for (let e = err as (Error & { cause?: unknown }) | undefined; e !== undefined; e = e.cause as typeof e) {
      chain.push(`${e.name}: ${e.message}`);
    }
    return `failed ${chain.join(' <- ')}`;
  }
}

const call = (name: string, args: unknown[], options: ActivityCall['options'] = {}): ActivityCall => ({
  name,
  args,
  options: { startToCloseTimeout: '10s', ...options },
});

const greet = async (name: string): Promise<string> => `hello ${name}`;

export const SCENARIOS: Scenario[] = [
  {
    name: 'activity success',
    run: (ctx) =>
      ctx.withWorker({ greet }, async () => outcomeOf(await ctx.start('runActivity', [call('greet', ['a'])]))),
  },
  {
    name: 'activity retry then success',
    run: (ctx) => {
      const flaky = async (): Promise<string> => {
        const { attempt } = Context.current().info;
        if (attempt < 3) throw new Error(`attempt ${attempt} fails`);
        return `succeeded on ${attempt}`;
      };
      const retry = { initialInterval: '50ms', backoffCoefficient: 1, maximumAttempts: 5 };
      return ctx.withWorker({ flaky }, async () =>
        outcomeOf(await ctx.start('runActivity', [call('flaky', [], { retry })])),
      );
    },
  },
  {
    name: 'activity retries exhausted',
    run: (ctx) => {
      const broken = async (): Promise<never> => {
        throw new Error('always fails');
      };
      const retry = { initialInterval: '50ms', backoffCoefficient: 1, maximumAttempts: 2 };
      return ctx.withWorker({ broken }, async () =>
        outcomeOf(await ctx.start('runActivity', [call('broken', [], { retry })])),
      );
    },
  },
  {
    name: 'timer',
    run: (ctx) =>
      ctx.withWorker({}, async () =>
        outcomeOf(await ctx.start('sleepThenReturn', [300, 'slept']), (v) => (v as { value: string }).value),
      ),
  },
  {
    name: 'signals',
    run: (ctx) =>
      ctx.withWorker({}, async () => {
        const handle = await ctx.start('collectPokes', [2]);
        await ctx.idleWith(handle, 'WORKFLOW_TASK_COMPLETED');
        await handle.signal(pokeSignal, 'a');
        await ctx.idleWith(handle, 'WORKFLOW_EXECUTION_SIGNALED');
        await handle.signal(pokeSignal, 'b');
        return await outcomeOf(handle);
      }),
  },
  {
    name: 'queries',
    run: (ctx) =>
      ctx.withWorker({}, async () => {
        const handle = await ctx.start('waitForFinish', []);
        await ctx.idleWith(handle, 'WORKFLOW_TASK_COMPLETED');
        const answers = [await handle.query(stateQuery), await handle.query(echoQuery, 'x')];
        await handle.signal(finishSignal, 'done');
        return `${JSON.stringify(answers)} ${await outcomeOf(handle)}`;
      }),
  },
  {
    name: 'child workflow',
    run: (ctx) =>
      ctx.withWorker({}, async () => {
        const parent = await ctx.start('parentRunsChild', ['waitForFinish', [], ctx.childId('child')]);
        await ctx.idleWith(parent, 'CHILD_WORKFLOW_EXECUTION_STARTED');
        await ctx.handleOf('child').signal(finishSignal, 'child done');
        return await outcomeOf(parent);
      }),
  },
  {
    name: 'continue-as-new',
    run: (ctx) =>
      ctx.withWorker({}, async () => outcomeOf(await ctx.start('countdown', [2]), (v) => (v as { seen: number }).seen)),
  },
  {
    name: 'cancellation of a workflow with a running activity',
    run: (ctx) => {
      let started = false;
      const heartbeatUntilCancelled = async (): Promise<string> => {
        started = true;
        const ctx = Context.current();
        for (;;) {
          ctx.heartbeat();
          await ctx.sleep(100);
        }
      };
      const options = { heartbeatTimeout: '2s', cancellationType: 'WAIT_CANCELLATION_COMPLETED' as const };
      return ctx.withWorker({ heartbeatUntilCancelled }, async () => {
        const handle = await ctx.start('runActivity', [call('heartbeatUntilCancelled', [], options)]);
        await waitFor('the activity to start', () => started);
        await handle.cancel();
        return await outcomeOf(handle);
      });
    },
  },
  {
    name: 'workflow update (accepted, rejected, then signal)',
    run: (ctx) =>
      ctx.withWorker({}, async () => {
        const handle = await ctx.start('counter', []);
        await ctx.idleWith(handle, 'WORKFLOW_TASK_COMPLETED');
        const added = await handle.executeUpdate(addUpdate, { args: [5], updateId: 'add-5' });
        const rejected = await handle
          .executeUpdate(addUpdate, { args: [-1], updateId: 'add-minus-1' })
          .then(String, (e: Error) => `${e.name}: ${e.message} <- ${String((e.cause as Error | undefined)?.message)}`);
        await handle.signal(doneSignal);
        return `update ${added}; ${rejected}; ${await outcomeOf(handle)}`;
      }),
  },
  {
    name: 'failed workflow',
    run: (ctx) => ctx.withWorker({}, async () => outcomeOf(await ctx.start('failWith', ['boom', 'Boom', true]))),
  },
  {
    name: 'local activity',
    run: (ctx) =>
      ctx.withWorker({ greet }, async () => outcomeOf(await ctx.start('runLocalActivity', ['greet', ['local']]))),
  },
];
