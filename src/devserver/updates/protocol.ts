/**
 * The update protocol inside workflow tasks: requests go out as `messages` on the poll response; acceptances,
 * rejections and responses come back on RespondWorkflowTaskCompleted, ordered among commands by
 * PROTOCOL_MESSAGE commands (messages no command names are handled after the commands, as the server does).
 */
import type { L, pb } from '../wire/proto.js';
import type { Run } from '../state/run.js';
import { EventType as E, WorkflowTaskFailedCause as Cause, temporal } from '../wire/proto.js';
import type { CommandFailure } from '../core/task-failure.js';
import { registryOf, settle } from './registry.js';
import type { UpdateOutcome } from './registry.js';

type Message = L<pb.api.protocol.v1.IMessage>;
const U = temporal.api.update.v1;
const TYPE_PREFIX = 'type.googleapis.com/';

/** Request messages for every update the workflow has not answered yet; they are marked sent. */
export function outgoingMessages(run: Run, startedId: number): Message[] {
  const out: Message[] = [];
  for (const entry of registryOf(run).values()) {
    if (entry.state !== 'admitted' && entry.state !== 'sent') continue;
    entry.state = 'sent';
    out.push({
      id: `${entry.id}/request`,
      protocolInstanceId: entry.id,
      // Like the server: the event before WorkflowTaskStarted, so the SDK applies the update after all events.
      eventId: startedId - 1,
      body: {
        type_url: `${TYPE_PREFIX}temporal.api.update.v1.Request`,
        value: U.Request.encode(U.Request.fromObject(entry.request)).finish(),
      },
    });
  }
  return out;
}

type Decoded =
  | { kind: 'acceptance'; body: L<pb.api.update.v1.IAcceptance> }
  | { kind: 'rejection'; body: L<pb.api.update.v1.IRejection> }
  | { kind: 'response'; body: L<pb.api.update.v1.IResponse> }
  | { kind: 'unknown' };

function decode(msg: Message): Decoded {
  const type = (msg.body?.type_url ?? '').replace(TYPE_PREFIX, '');
  const value = msg.body?.value ?? new Uint8Array();
  switch (type) {
    case 'temporal.api.update.v1.Acceptance':
      return { kind: 'acceptance', body: U.Acceptance.decode(value) };
    case 'temporal.api.update.v1.Rejection':
      return { kind: 'rejection', body: U.Rejection.decode(value) };
    case 'temporal.api.update.v1.Response':
      return { kind: 'response', body: U.Response.decode(value) };
    default:
      return { kind: 'unknown' };
  }
}

const inbound = new WeakMap<Run, Map<string, Message>>();

/** Checks the messages of a completion before anything is written (a bad one fails the task). */
export function validateMessages(run: Run, messages: Message[], commandMessageIds: string[]): CommandFailure | null {
  const ids = new Set(messages.map((m) => m.id ?? ''));
  for (const id of commandMessageIds) {
    if (!ids.has(id))
      return {
        cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE,
        message: `ProtocolMessageCommand referenced absent message ID ${id}.`,
      };
  }
  const updates = registryOf(run);
  for (const msg of messages) {
    const d = decode(msg);
    if (d.kind === 'unknown')
      return {
        cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE,
        message: `unknown message type ${msg.body?.type_url ?? ''}`,
      };
    if (d.kind === 'acceptance' && Number(d.body.acceptedRequestSequencingEventId ?? 0) === 0)
      return {
        cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE,
        message:
          'BadUpdateWorkflowExecutionMessage: invalid *update.Acceptance: accepted_request_sequencing_event_id is not set',
      };
    if (!updates.has(msg.protocolInstanceId ?? '')) {
      return {
        cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE,
        message: `update ${msg.protocolInstanceId ?? ''} wasn't found in the registry`,
      };
    }
  }
  return null;
}

export function beginMessages(run: Run, messages: Message[]): void {
  inbound.set(run, new Map(messages.map((m) => [m.id ?? '', m])));
}

/** A PROTOCOL_MESSAGE command: handles the message it names at this point among the commands. */
export function applyProtocolMessageCommand(run: Run, messageId: string): void {
  const msgs = inbound.get(run);
  const msg = msgs?.get(messageId);
  if (!msg) return;
  msgs?.delete(messageId);
  handleMessage(run, msg);
}

/** Handles the messages no command named, then rejects updates the worker was sent but did not process. */
export function finishMessages(run: Run): void {
  const rest = inbound.get(run);
  inbound.delete(run);
  for (const msg of rest?.values() ?? []) handleMessage(run, msg);
  for (const entry of [...registryOf(run).values()]) {
    if (entry.state === 'sent') settle(run, entry, { outcome: { failure: UNPROCESSED } });
  }
}

const UNPROCESSED: UpdateOutcome['failure'] = {
  message:
    "Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker.",
  source: 'Server',
  applicationFailureInfo: { type: 'UnprocessedUpdate', nonRetryable: true },
};

function handleMessage(run: Run, msg: Message): void {
  const id = msg.protocolInstanceId ?? '';
  const entry = registryOf(run).get(id);
  const d = decode(msg);
  if (!entry) return;
  if (d.kind === 'rejection') {
    if (entry.state === 'sent' || entry.state === 'admitted')
      settle(run, entry, { outcome: { failure: d.body.failure ?? {} } });
    return;
  }
  if (!run.isOpen) return;
  if (d.kind === 'acceptance' && (entry.state === 'sent' || entry.state === 'admitted')) {
    run.append(E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, {
      workflowExecutionUpdateAcceptedEventAttributes: {
        protocolInstanceId: id,
        acceptedRequestMessageId: d.body.acceptedRequestMessageId ?? `${id}/request`,
        acceptedRequestSequencingEventId: d.body.acceptedRequestSequencingEventId ?? 0,
        acceptedRequest: d.body.acceptedRequest ?? entry.request,
      },
    });
    registryOf(run);
  } else if (d.kind === 'response' && entry.state === 'accepted') {
    run.append(E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, {
      workflowExecutionUpdateCompletedEventAttributes: {
        meta: d.body.meta ?? { updateId: id },
        acceptedEventId: entry.acceptedEventId,
        outcome: d.body.outcome ?? {},
      },
    });
    registryOf(run);
  }
}
