/** Reading a failure inside a workflow: the root cause's message, type and details. */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/** The root cause's message: an activity failure wraps the activity's own error. */
export function failureMessage(error: unknown): string {
  const cause = error instanceof ActivityFailure && error.cause !== undefined ? error.cause : error;
  return cause instanceof Error ? cause.message : String(error);
}

/** The ApplicationFailure type behind an error (e.g. GitConflict), if any. */
export function failureType(error: unknown): string | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

export function failureDetails(error: unknown): Record<string, unknown> | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  const first = cause instanceof ApplicationFailure ? cause.details?.[0] : undefined;
  return typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : undefined;
}
