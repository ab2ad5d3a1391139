/** The flag half of the ingest in one import: names, priority, parsing, signing and writing. */
export { HANDLERS, PRIORITY_TIERS, TIER_OF, compareWaitingFlags, isHandler, priorityOf } from './handlers.js';
export type { Handler, PriorityTier, WaitingFlag } from './handlers.js';
export { flagFileName, isIgnoredName, parseFlagName, readingFor, readingsOf, servedWorkerOf } from './names.js';
export type { FlagName, NameReading } from './names.js';
export { flagParseOptions, parseFlagBytes, readFlagFile } from './parse.js';
export type { FlagParseOptions, FlagParseResult } from './parse.js';
export { Flag, Label, TaskId, checkFlag } from './schema.js';
export type { FlagInput, FlagProblem } from './schema.js';
export { canonicalBody, checkSignature, signBody } from './signature.js';
export type { SignaturePolicy, SignatureState } from './signature.js';
export { FlagInvalidError, FlagWaitingError, newTaskId, writeFlag } from './write.js';
export type { WriteFlagOptions } from './write.js';
