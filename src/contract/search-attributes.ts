/**
 * The custom search attributes a handler run is started with (the ingest, the CLI shortcuts, the keep-alive's
 * last-known-good rollback), registered at start-up: `supervisor tasks` and the Web UI filter on them.
 */
import { defineSearchAttributeKey } from '@temporalio/common';
import type { SearchAttributePair } from '@temporalio/common';

export const WORKER_ID_KEY = defineSearchAttributeKey('WorkerId', 'KEYWORD');
export const HANDLER_KEY = defineSearchAttributeKey('Handler', 'KEYWORD');
export const TASK_LABEL_KEY = defineSearchAttributeKey('TaskLabel', 'TEXT');

/** A handler run's attributes; the label only when there is one. */
export function taskSearchAttributes(
  workerId: string,
  handler: string,
  label: string | null | undefined,
): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: WORKER_ID_KEY, value: workerId },
    { key: HANDLER_KEY, value: handler },
  ];
  if (label !== undefined && label !== null) pairs.push({ key: TASK_LABEL_KEY, value: label });
  return pairs;
}
