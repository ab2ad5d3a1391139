/**
 * The update protocol driven by hand over gRPC (a scripted worker), for orderings the SDK cannot be made to
 * produce on cue: an update admitted while the task that completes the workflow is running, messages by hand. These histories are
 * not replayed (no workflow code made them).
 */
import { describe, expect, it } from '@jest/globals';
import { temporal } from '@temporalio/proto';
import { defaultPayloadConverter } from '@temporalio/common';
import { eventTypes, longPoll, useHarness } from './helpers.js';

const C = temporal.api.enums.v1.CommandType;
const Stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;
const U = temporal.api.update.v1;

const h = useHarness();

const any = (type: string, value: Uint8Array) => ({
  type_url: `type.googleapis.com/temporal.api.update.v1.${type}`,
  value,
});

describe('update protocol (scripted worker)', () => {
  it('an update admitted during the task that completes the workflow is aborted by the close', async () => {
    const svc = h.client.workflowService;
    const taskQueue = h.taskQueue('raw');
    const workflowId = h.workflowId('raw');
    await h.client.workflow.start('counter', { taskQueue, workflowId });
    const poll = () =>
      longPoll(h, () =>
        svc.pollWorkflowTaskQueue({ namespace: h.namespace, taskQueue: { name: taskQueue }, identity: 'scripted' }),
      );
    const first = await poll();
    // Like the server: UpdateWorkflowExecution refuses to wait for ADMITTED only.
    await expect(
      longPoll(h, () =>
        svc.updateWorkflowExecution({
          namespace: h.namespace,
          workflowExecution: { workflowId },
          request: { meta: { updateId: 'adm' }, input: { name: 'add' } },
          waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED },
        }),
      ),
    ).rejects.toThrow(/admitted is not supported/);
    const outcome = longPoll(h, () =>
      svc.updateWorkflowExecution({
        namespace: h.namespace,
        workflowExecution: { workflowId },
        request: { meta: { updateId: 'adm' }, input: { name: 'add' } },
        waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
      }),
    );
    await new Promise((r) => setTimeout(r, 100));
    // A poll without a stage answers at once with the stage reached.
    const polled = await longPoll(h, () =>
      svc.pollWorkflowExecutionUpdate({
        namespace: h.namespace,
        updateRef: { workflowExecution: { workflowId }, updateId: 'adm' },
      }),
    );
    expect(polled.stage).toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED);
    const complete = {
      commandType: C.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
      completeWorkflowExecutionCommandAttributes: {},
    };
    // As on the server: an admitted update does not hold the run open; closing it aborts the update.
    await svc.respondWorkflowTaskCompleted({
      namespace: h.namespace,
      taskToken: first.taskToken,
      commands: [complete],
      identity: 'scripted',
    });
    await expect(outcome).rejects.toMatchObject({
      code: 5,
      details: 'workflow update was aborted by closing workflow',
    });
    expect(eventTypes(await h.history(workflowId)).slice(-2)).toEqual([
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
  });

  it('an update rides the next task as a message; acceptance and response messages complete it', async () => {
    const svc = h.client.workflowService;
    const taskQueue = h.taskQueue('messages');
    const workflowId = h.workflowId('messages');
    await h.client.workflow.start('counter', { taskQueue, workflowId });
    const poll = () =>
      longPoll(h, () =>
        svc.pollWorkflowTaskQueue({ namespace: h.namespace, taskQueue: { name: taskQueue }, identity: 'scripted' }),
      );
    const first = await poll();
    await svc.respondWorkflowTaskCompleted({
      namespace: h.namespace,
      taskToken: first.taskToken,
      commands: [],
      identity: 'scripted',
    });
    const outcome = longPoll(h, () =>
      svc.updateWorkflowExecution({
        namespace: h.namespace,
        workflowExecution: { workflowId },
        request: { meta: { updateId: 'adm' }, input: { name: 'add' } },
        waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
      }),
    );
    const complete = {
      commandType: C.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
      completeWorkflowExecutionCommandAttributes: {},
    };
    const second = await poll();
    expect(second.messages).toHaveLength(1);
    const request = second.messages?.[0];
    expect(request?.protocolInstanceId).toBe('adm');
    expect(Number(request?.eventId)).toBe(Number(second.startedEventId) - 1);
    const req = U.Request.decode(request?.body?.value ?? new Uint8Array());
    expect(req.input?.name).toBe('add');
    const result = { payloads: [defaultPayloadConverter.toPayload(42)] };
    await svc.respondWorkflowTaskCompleted({
      namespace: h.namespace,
      taskToken: second.taskToken,
      identity: 'scripted',
      messages: [
        {
          id: 'acc',
          protocolInstanceId: 'adm',
          body: any(
            'Acceptance',
            U.Acceptance.encode({
              acceptedRequestMessageId: request?.id,
              acceptedRequestSequencingEventId: request?.eventId,
              acceptedRequest: req,
            }).finish(),
          ),
        },
        {
          id: 'res',
          protocolInstanceId: 'adm',
          body: any(
            'Response',
            U.Response.encode({ meta: { updateId: 'adm' }, outcome: { success: result } }).finish(),
          ),
        },
      ],
      commands: [
        { commandType: C.COMMAND_TYPE_PROTOCOL_MESSAGE, protocolMessageCommandAttributes: { messageId: 'acc' } },
        { commandType: C.COMMAND_TYPE_PROTOCOL_MESSAGE, protocolMessageCommandAttributes: { messageId: 'res' } },
        complete,
      ],
    });
    const answered = await outcome;
    expect(defaultPayloadConverter.fromPayload(answered.outcome?.success?.payloads?.[0] ?? {})).toBe(42);
    const types = eventTypes(await h.history(workflowId)).slice(-4);
    expect(types).toEqual([
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
      'WORKFLOW_EXECUTION_UPDATE_COMPLETED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
  });

  it('an update the worker leaves unprocessed is rejected by the server', async () => {
    const svc = h.client.workflowService;
    const taskQueue = h.taskQueue('unprocessed');
    const workflowId = h.workflowId('unprocessed');
    await h.client.workflow.start('counter', { taskQueue, workflowId });
    const first = await longPoll(h, () =>
      svc.pollWorkflowTaskQueue({ namespace: h.namespace, taskQueue: { name: taskQueue }, identity: 'scripted' }),
    );
    await svc.respondWorkflowTaskCompleted({
      namespace: h.namespace,
      taskToken: first.taskToken,
      commands: [],
      identity: 'scripted',
    });
    const pending = longPoll(h, () =>
      svc.updateWorkflowExecution({
        namespace: h.namespace,
        workflowExecution: { workflowId },
        request: { meta: { updateId: 'ignored' }, input: { name: 'add' } },
        waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
      }),
    );
    const before = (await h.history(workflowId)).events?.length;
    const speculative = await longPoll(h, () =>
      svc.pollWorkflowTaskQueue({ namespace: h.namespace, taskQueue: { name: taskQueue }, identity: 'scripted' }),
    );
    expect(speculative.messages).toHaveLength(1);
    const resp = await svc.respondWorkflowTaskCompleted({
      namespace: h.namespace,
      taskToken: speculative.taskToken,
      commands: [],
      identity: 'scripted',
    });
    expect(Number(resp.resetHistoryEventId)).toBe(Number(first.startedEventId));
    const answered = await pending;
    expect(answered.outcome?.failure?.applicationFailureInfo?.type).toBe('UnprocessedUpdate');
    // A speculative task that produced nothing leaves no events.
    expect((await h.history(workflowId)).events?.length).toBe(before);
    await h.client.workflow.getHandle(workflowId).terminate('done');
  });
});
