import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { AuditRecord } from '../db/audit.js';
import { isHandler } from '../flags/handlers.js';

/**
 * The NDJSON event stream, schema v1: one JSON object a line, `{"v":1,"type":"…","at":"…","worker_id":"…",…}`.
 * Types are only ever added, fields only ever added to a type, so a consumer written today keeps working.
 * Delivery is at least once: an event written by an activity that is retried may appear twice.
 */
export const EVENT_SCHEMA_VERSION = 1;

export type EventType =
  | 'flag_accepted'
  | 'flag_duplicate'
  | 'flag_rejected'
  | 'task_completed'
  | 'task_failed'
  | 'task_cancelled'
  | 'watcher_restarted'
  | 'watcher_started'
  | 'watcher_hung'
  | 'watcher_command_changed'
  | 'watcher_failed'
  | 'watcher_budget_reset'
  | 'watcher_state_changed';

export interface SupervisorEvent {
  type: EventType | (string & {});
  /** null only for a flag whose name names no worker. */
  worker_id: string | null;
  at?: string;
  [field: string]: unknown;
}

export const EVENTS_FILE = 'events.ndjson';

/** `<logs>/events.ndjson`: where every part of the supervisor appends its events. */
export function eventsFileOf(paths: { logs: string }): string {
  return path.join(paths.logs, EVENTS_FILE);
}

/** Appends one event as one line; a single O_APPEND write, so concurrent writers never interleave a line. */
export async function appendEvent(file: string, event: SupervisorEvent): Promise<void> {
  const { type, at, ...fields } = event;
  const line = `${JSON.stringify({ v: EVENT_SCHEMA_VERSION, type, at: at ?? new Date().toISOString(), ...fields })}\n`;
  await mkdir(path.dirname(file), { recursive: true });
  await appendFile(file, line, { flag: 'a' });
}

/** The event an audit row stands for: a handler's `completed` is `task_completed`; keep-alive and health actions keep their names. */
export function auditEvent(row: AuditRecord): SupervisorEvent {
  const { action, ...fields } = row;
  return { ...fields, type: isHandler(row.handler) ? `task_${action}` : action };
}
