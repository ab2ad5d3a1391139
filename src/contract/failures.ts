/**
 * Failure types no retry can fix. Activities raise them as non-retryable ApplicationFailures; workflows
 * also list them in their retry policies, so a plain error of such a type stays final too.
 */
export const PERMANENT_FAILURE_TYPES = [
  'GitConflict',
  'GitNotFastForward',
  'GitDirtyWorkTree',
  'GitInvalidCommit',
  'GitCommandFailed',
  'WatcherStartFailed',
  'WatcherStopFailed',
  'DepsInstallFailed',
  'GitNotEnoughCommits',
  'RepoNotConfigured',
  'InvalidArgument',
  'NoDatabaseConfigured',
] as const;
export type PermanentFailureType = (typeof PERMANENT_FAILURE_TYPES)[number];

/** Failure type of a handler workflow refused for its input or its workflow id; nothing was touched. */
export const INVALID_HANDLER_INPUT = 'InvalidHandlerInput';
