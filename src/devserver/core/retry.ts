/** Retry policy defaults and backoff as the real server computes them. */
import type { IFailure, IPayloads, IRetryPolicy } from '../wire/proto.js';
import { RetryState, durationMs, msDuration } from '../wire/proto.js';

export function withRetryDefaults(policy: IRetryPolicy | null | undefined): IRetryPolicy {
  const initial = durationMs(policy?.initialInterval) || 1000;
  const coefficient = policy?.backoffCoefficient || 2;
  const maximum = durationMs(policy?.maximumInterval) || initial * 100;
  return {
    initialInterval: msDuration(initial),
    backoffCoefficient: coefficient,
    maximumInterval: msDuration(maximum),
    maximumAttempts: policy?.maximumAttempts ?? 0,
    nonRetryableErrorTypes: policy?.nonRetryableErrorTypes ?? [],
  };
}

export function validateRetryPolicy(policy: IRetryPolicy | null | undefined): string | null {
  if (!policy) return null;
  if (durationMs(policy.initialInterval) < 0) return 'InitialInterval cannot be negative on retry policy.';
  if ((policy.backoffCoefficient ?? 0) !== 0 && (policy.backoffCoefficient ?? 0) < 1)
    return 'BackoffCoefficient cannot be less than 1 on retry policy.';
  if ((policy.maximumAttempts ?? 0) < 0) return 'MaximumAttempts cannot be negative on retry policy.';
  const max = durationMs(policy.maximumInterval);
  if (max > 0 && max < durationMs(policy.initialInterval))
    return 'MaximumInterval cannot be less than InitialInterval on retry policy.';
  return null;
}

const TIMEOUT_PREFIX = 'TemporalTimeout:';

function failureType(failure: IFailure): string | null {
  if (failure.applicationFailureInfo) return failure.applicationFailureInfo.type ?? '';
  const timeout = failure.timeoutFailureInfo;
  if (timeout) {
    const name = ['Unspecified', 'StartToClose', 'ScheduleToStart', 'ScheduleToClose', 'Heartbeat'][
      timeout.timeoutType ?? 0
    ];
    return `${TIMEOUT_PREFIX}${name}`;
  }
  return null;
}

export interface RetryDecision {
  retry: boolean;
  delayMs: number;
  retryState: number;
}

/**
 * Decides whether attempt `attempt` (which just failed with `failure`) is retried, and after how long.
 * `expiration` is the absolute schedule-to-close deadline (0 = none).
 */
export function decideRetry(
  policy: IRetryPolicy,
  attempt: number,
  failure: IFailure,
  expiration: number,
  now = Date.now(),
): RetryDecision {
  const stop = (retryState: number): RetryDecision => ({ retry: false, delayMs: 0, retryState });
  if (failure.applicationFailureInfo?.nonRetryable) return stop(RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE);
  const timeout = failure.timeoutFailureInfo;
  if (timeout && timeout.timeoutType !== 1 && timeout.timeoutType !== 4)
    return stop(RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE);
  if (failure.canceledFailureInfo || failure.terminatedFailureInfo)
    return stop(RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE);
  const type = failureType(failure);
  if (type !== null && (policy.nonRetryableErrorTypes ?? []).includes(type))
    return stop(RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE);
  const maxAttempts = policy.maximumAttempts ?? 0;
  if (maxAttempts > 0 && attempt >= maxAttempts) return stop(RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
  const explicit = durationMs(failure.applicationFailureInfo?.nextRetryDelay);
  let delay = explicit;
  if (!explicit) {
    const initial = durationMs(policy.initialInterval) || 1000;
    delay = initial * Math.pow(policy.backoffCoefficient || 2, attempt - 1);
    const max = durationMs(policy.maximumInterval);
    if (max > 0) delay = Math.min(delay, max);
  }
  if (expiration > 0 && now + delay > expiration) return stop(RetryState.RETRY_STATE_TIMEOUT);
  return { retry: true, delayMs: delay, retryState: RetryState.RETRY_STATE_IN_PROGRESS };
}

export function timeoutFailure(
  timeoutType: number,
  lastHeartbeatDetails?: IPayloads | null,
  cause?: IFailure | null,
): IFailure {
  const name =
    ['unspecified', 'StartToClose', 'ScheduleToStart', 'ScheduleToClose', 'Heartbeat'][timeoutType] ?? 'unknown';
  return {
    message: `activity ${name} timeout`,
    source: 'Server',
    timeoutFailureInfo: { timeoutType, lastHeartbeatDetails: lastHeartbeatDetails ?? null },
    cause: cause ?? null,
  };
}
