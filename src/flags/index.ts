/** The flag half of the ingest in one import: names, priority, parsing, signing and writing. */
export { HANDLERS, PRIORITY_TIERS, TIER_OF, compareWaitingFlags, isHandler, priorityOf } from './handlers.js';
export type { Handler, PriorityTier, WaitingFlag } from './handlers.js';
export {
  decisionFileName,
  decisionReadingOf,
  flagFileName,
  isIgnoredName,
  parseFlagName,
  readingFor,
  readingsOf,
  servedWorkerOf,
} from './names.js';
export type { DecisionReading, FlagName, NameReading } from './names.js';
export { decodeFlagJson, flagParseOptions, parseFlagBytes, readFlagBytes, readFlagFile } from './parse.js';
export type { FlagJson, FlagParseOptions, FlagParseResult, FlagReadFailure } from './parse.js';
export {
  DeciderName,
  DecisionComment,
  DecisionFlag,
  MAX_DECISION_COMMENT,
  parseDecisionBytes,
  readDecisionFile,
} from './decision.js';
export type { DecisionParseResult } from './decision.js';
export { Flag, Label, TaskId, checkFlag } from './schema.js';
export type { FlagInput, FlagProblem } from './schema.js';
export { canonicalBody, checkSignature, signBody } from './signature.js';
export type { SignaturePolicy, SignatureState } from './signature.js';
export { FlagInvalidError, FlagWaitingError, newTaskId, writeFlag } from './write.js';
export type { WriteFlagOptions } from './write.js';
