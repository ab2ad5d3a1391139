import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { HANDLER_KEY, TASK_LABEL_KEY, WORKER_ID_KEY, taskSearchAttributes } from '../contract/search-attributes.js';
// Default import: the package is CommonJS and Node's ESM loader cannot see its named `temporal` export.
import proto from '@temporalio/proto';
import { handlerWorkflowId } from '../contract/ids.js';
import type { Flag } from '../flags/index.js';
import { HANDLER_WORKFLOWS } from '../workflows/handlers/index.js';

/** Custom search attributes every flag-started workflow carries (registered at start-up). */
export { HANDLER_KEY, TASK_LABEL_KEY, WORKER_ID_KEY } from '../contract/search-attributes.js';

const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;

/** gRPC status of an error from the SDK (itself or its cause), if it has one. */
export function grpcCode(error: unknown): number | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

const ALREADY_EXISTS = 6;
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;

/** True when the error says "could not reach the server" rather than "the server said no". */
export function isUnreachable(error: unknown): boolean {
  const code = grpcCode(error);
  return code === UNAVAILABLE || code === DEADLINE_EXCEEDED;
}

/** Each call gets a deadline: an unreachable cluster must fail the try, not hang the ingest. */
const CALL_DEADLINE_MS = 10_000;

export type Registration = { ok: true } | { ok: false; error: unknown };

/**
 * Registers WorkerId, Handler and TaskLabel in the namespace, as a real cluster requires before a start may
 * carry them. Already registered is success (older servers say ALREADY_EXISTS, newer ones skip silently).
 * Unreachable throws (the caller retries); any other refusal (no operator rights, e.g. on Temporal Cloud
 * where attributes are added with tcld) is returned so the caller can warn and go on: if the attributes
 * really are missing, the starts themselves will fail and say so.
 */
export async function registerSearchAttributes(client: Client): Promise<Registration> {
  try {
    await client.withDeadline(Date.now() + CALL_DEADLINE_MS, () =>
      client.connection.operatorService.addSearchAttributes({
        namespace: client.options.namespace,
        searchAttributes: {
          [WORKER_ID_KEY.name]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
          [HANDLER_KEY.name]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
          [TASK_LABEL_KEY.name]: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
        },
      }),
    );
    return { ok: true };
  } catch (error) {
    if (grpcCode(error) === ALREADY_EXISTS) return { ok: true };
    if (isUnreachable(error)) throw error;
    return { ok: false, error };
  }
}

export interface StartRequest {
  flag: Flag;
  workerId: string;
  taskQueue: string;
  file: string;
  sha256: string;
}

export type StartOutcome =
  | { kind: 'started'; workflowId: string; runId: string }
  /** `ours`: the existing run was started from these very bytes (a crash between start and ledger). */
  | { kind: 'exists'; workflowId: string; runId: string | null; ours: boolean };

/** Starts the handler's workflow; "already started" is an outcome, anything else throws. */
export async function startFlagWorkflow(client: Client, request: StartRequest): Promise<StartOutcome> {
  const { flag, workerId } = request;
  const workflowId = handlerWorkflowId(workerId, flag.task_id);
  const attributes = taskSearchAttributes(workerId, flag.handler, flag.label);
  try {
    const handle = await client.withDeadline(Date.now() + CALL_DEADLINE_MS, () =>
      // The handler's workflow function: its name, the handler's own, is the workflow type (`temporal workflow start --type`).
      client.workflow.start(HANDLER_WORKFLOWS[flag.handler], {
        workflowId,
        taskQueue: request.taskQueue,
        args: [flag],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: attributes,
        memo: { file: request.file, sha256: request.sha256 },
      }),
    );
    return { kind: 'started', workflowId, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  return { kind: 'exists', workflowId, ...(await describeExisting(client, workflowId, request)) };
}

async function describeExisting(
  client: Client,
  workflowId: string,
  request: StartRequest,
): Promise<{ runId: string | null; ours: boolean }> {
  try {
    const description = await client.withDeadline(Date.now() + CALL_DEADLINE_MS, () =>
      client.workflow.getHandle(workflowId).describe(),
    );
    const memo = description.memo ?? {};
    return { runId: description.runId, ours: memo.sha256 === request.sha256 && memo.file === request.file };
  } catch (error) {
    // The start said it exists; a failed describe only costs the run id, never a second run.
    if (isUnreachable(error)) throw error;
    return { runId: null, ours: false };
  }
}
