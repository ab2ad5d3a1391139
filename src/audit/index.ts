/** The audit in one import: records, the MySQL and NDJSON sinks, the sink with the fallback, the event mapping. */
export type { AuditRecord, AuditSink, StoredAuditRecord } from './record.js';
export { auditRowKey, redactSecrets } from './record.js';
export { insertAudit, lastAuditRows, mysqlAuditSink } from './mysql.js';
export { ndjsonAuditSink } from './ndjson.js';
export { drainPendingAudit } from './pending.js';
export { createAuditSink } from './sink.js';
export { auditEvent } from './events.js';
