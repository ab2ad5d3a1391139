import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

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
  | 'flag_decided'
  | 'task_completed'
  | 'task_failed'
  | 'task_cancelled'
  | 'task_approval_requested'
  | 'task_approved'
  | 'task_rejected'
  | 'task_expired'
  | 'watcher_restarted'
  | 'watcher_started'
  | 'watcher_hung'
  | 'watcher_command_changed'
  | 'watcher_failed'
  | 'watcher_budget_reset'
  | 'watcher_state_changed'
  | 'last_known_good_rollback'
  | 'last_known_good_skipped'
  | 'last_known_good_rollback_done';

export interface SupervisorEvent {
  type: EventType | (string & {});
  /** null only for a flag whose name names no worker. */
  worker_id: string | null;
  at?: string;
  [field: string]: unknown;
}

/** One event as its NDJSON line, newline included. */
export function eventLine(event: SupervisorEvent): string {
  const { type, at, ...fields } = event;
  return `${JSON.stringify({ v: EVENT_SCHEMA_VERSION, type, at: at ?? new Date().toISOString(), ...fields })}\n`;
}

/** Appends one event (to `<logs>/events.ndjson`, nas/paths.ts eventsFileOf) as one line; a single O_APPEND write, so concurrent writers never interleave a line. */
export async function appendEvent(file: string, event: SupervisorEvent): Promise<void> {
  await appendEventLines(file, eventLine(event));
}

/** Whole lines (eventLine) in one O_APPEND write; the folder is made when missing, not before every write. */
export async function appendEventLines(file: string, lines: string): Promise<void> {
  try {
    await appendFile(file, lines, { flag: 'a' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(path.dirname(file), { recursive: true });
    await appendFile(file, lines, { flag: 'a' });
  }
}
