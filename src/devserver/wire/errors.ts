/** Service errors shaped like the real server's: gRPC code, message and google.rpc.Status details. */
import { Metadata, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { google, temporal } from './proto.js';

const errordetails = temporal.api.errordetails.v1;

export class RpcError extends Error {
  constructor(
    readonly code: status,
    message: string,
    readonly detail?: { typeName: string; value: Uint8Array },
  ) {
    super(message);
  }

  toServiceError(): Partial<ServiceError> {
    const metadata = new Metadata();
    if (this.detail) {
      const statusMsg = google.rpc.Status.encode({
        code: this.code,
        message: this.message,
        details: [{ type_url: `type.googleapis.com/${this.detail.typeName}`, value: this.detail.value }],
      }).finish();
      metadata.set('grpc-status-details-bin', Buffer.from(statusMsg));
    }
    return { code: this.code, details: this.message, metadata };
  }
}

export function invalidArgument(message: string): RpcError {
  return new RpcError(status.INVALID_ARGUMENT, message);
}

export function notFound(message: string): RpcError {
  return new RpcError(status.NOT_FOUND, message);
}

export function workflowNotFound(workflowId: string, runId?: string | null): RpcError {
  const execution = runId ? `WorkflowId: ${workflowId}, RunId: ${runId}` : `WorkflowId: ${workflowId}`;
  return notFound(`workflow execution not found for ${execution}`);
}

export function namespaceNotFound(namespace: string): RpcError {
  const value = errordetails.NamespaceNotFoundFailure.encode({ namespace }).finish();
  return new RpcError(status.NOT_FOUND, `Namespace ${namespace} is not found.`, {
    typeName: 'temporal.api.errordetails.v1.NamespaceNotFoundFailure',
    value,
  });
}

export function alreadyStarted(startRequestId: string, runId: string, workflowId: string, message?: string): RpcError {
  const value = errordetails.WorkflowExecutionAlreadyStartedFailure.encode({ startRequestId, runId }).finish();
  return new RpcError(
    status.ALREADY_EXISTS,
    message ?? `Workflow execution is already running. WorkflowId: ${workflowId}, RunId: ${runId}.`,
    {
      typeName: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
      value,
    },
  );
}

export function queryFailed(message: string): RpcError {
  const value = errordetails.QueryFailedFailure.encode({}).finish();
  return new RpcError(status.INVALID_ARGUMENT, message, {
    typeName: 'temporal.api.errordetails.v1.QueryFailedFailure',
    value,
  });
}

/** The server's WorkflowNotReady: FAILED_PRECONDITION with WorkflowNotReadyFailure details. */
export function workflowNotReady(message: string): RpcError {
  const value = errordetails.WorkflowNotReadyFailure.encode({}).finish();
  return new RpcError(status.FAILED_PRECONDITION, message, {
    typeName: 'temporal.api.errordetails.v1.WorkflowNotReadyFailure',
    value,
  });
}
