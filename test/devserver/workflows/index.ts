/** Entry point of the conformance workflow bundle. */
export * from './activities.js';
export * from './basic.js';
export * from './children.js';
export * from './tasks.js';
export * from './durable.js';
export * from './updates.js';
export * from './cron.js';
export * from './samples.js';
export * from './differential.js';
