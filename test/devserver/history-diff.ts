/**
 * Histories reduced to what two servers must agree on: the event types in order and a few key attributes
 * (activity and workflow types, attempts, failure messages, signal and update names, marker names).
 * Ids, times, identities and task queue names are left out: they differ between any two runs.
 */
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const { EventType } = temporal.api.enums.v1;

function typeName(e: HistoryEvent): string {
  return (EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
}

/** The key attributes of one event, as `key=value` pairs in a fixed order. */
function keyAttributes(e: HistoryEvent): string[] {
  const out: string[] = [];
  const add = (key: string, value: unknown): void => {
    if (value !== undefined && value !== null && value !== '') out.push(`${key}=${String(value)}`);
  };
  add('workflowType', e.workflowExecutionStartedEventAttributes?.workflowType?.name);
  add('activityType', e.activityTaskScheduledEventAttributes?.activityType?.name);
  add('attempt', e.activityTaskStartedEventAttributes?.attempt);
  add('failure', e.activityTaskFailedEventAttributes?.failure?.message);
  add('retryState', e.activityTaskFailedEventAttributes?.retryState);
  add('failure', e.workflowExecutionFailedEventAttributes?.failure?.message);
  add('cause', e.workflowExecutionFailedEventAttributes?.failure?.cause?.message);
  add('signal', e.workflowExecutionSignaledEventAttributes?.signalName);
  add('timeout', e.timerStartedEventAttributes?.startToFireTimeout?.seconds);
  add('marker', e.markerRecordedEventAttributes?.markerName);
  add('childType', e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name);
  add('childType', e.childWorkflowExecutionCompletedEventAttributes?.workflowType?.name);
  add('newRunType', e.workflowExecutionContinuedAsNewEventAttributes?.workflowType?.name);
  add('update', e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name);
  add('updateFailure', e.workflowExecutionUpdateCompletedEventAttributes?.outcome?.failure?.message);
  return out;
}

/** One line per event: `TYPE key=value ...`. */
export function historyShape(history: History): string[] {
  return (history.events ?? []).map((e) => [typeName(e), ...keyAttributes(e)].join(' '));
}

/**
 * A readable line diff of two shapes (longest common subsequence): `  ` same, `- ` only in `a`, `+ ` only in
 * `b`; empty when they agree.
 */
export function shapeDiff(a: string[], b: string[], labels: [string, string]): string {
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const lines: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push(`  ${a[i++]}`);
      j++;
    } else if (j >= b.length || (i < a.length && lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      lines.push(`- ${a[i++]}`);
    } else {
      lines.push(`+ ${b[j++]}`);
    }
  }
  if (!lines.some((l) => !l.startsWith('  '))) return '';
  return [`--- ${labels[0]}`, `+++ ${labels[1]}`, ...lines].join('\n');
}
