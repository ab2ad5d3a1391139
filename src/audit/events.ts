import { isHandler } from '../flags/handlers.js';
import type { SupervisorEvent } from '../observability/events.js';
import type { AuditRecord } from './record.js';

/** The event an audit row stands for: a handler's `completed` is `task_completed`; keep-alive and health actions keep their names. */
export function auditEvent(row: AuditRecord): SupervisorEvent {
  const { action, ...fields } = row;
  return { ...fields, type: isHandler(row.handler) ? `task_${action}` : action };
}
