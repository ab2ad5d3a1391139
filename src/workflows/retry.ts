/** The retry policy every workflow gives its activities, and the options of the quick ones. */
import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';
import { PERMANENT_FAILURE_TYPES } from '../contract/failures.js';

/** I/O blips (NAS, database, git lock file) get a few spaced retries; domain refusals none. */
export const RETRY: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 5,
  nonRetryableErrorTypes: [...PERMANENT_FAILURE_TYPES],
};

/** Files, pause flag, audit, settings, lock requests: each a few file or RPC operations. */
export const QUICK: ActivityOptions = { startToCloseTimeout: '30s', retry: RETRY };
