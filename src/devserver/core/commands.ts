/** Workflow task commands: validated as a batch first (a bad one fails the task), then applied in order. */
import type { Engine } from '../state/engine.js';
import type { Run } from '../state/run.js';
import type { ICommand } from '../wire/proto.js';
import type { CommandFailure } from './task-failure.js';
import {
  CommandType as C,
  EventType as E,
  RetryState,
  WorkflowTaskFailedCause as Cause,
  durationMs,
} from '../wire/proto.js';
import { fillActivityAttributes, requestCancelActivity, scheduleActivity } from './activities.js';
import { cancelUserTimer, startUserTimer } from './user-timers.js';
import { initiateChild, initiateExternalCancel, initiateExternalSignal } from './children.js';
import { continueAsNew, cronNext, retryOnFailure } from './start.js';
import { cronError } from './cron.js';
import { onRunClosed } from './close.js';
import { applyProtocolMessageCommand } from '../updates/protocol.js';

const terminal = new Set<number>([
  C.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
  C.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
  C.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
  C.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
]);

const commandName = (t: number): string => Object.entries(C).find(([, v]) => v === t)?.[0] ?? `COMMAND_TYPE_${t}`;

export function validateCommands(
  engine: Engine,
  run: Run,
  commands: ICommand[],
  hasBufferedEvents: boolean,
): CommandFailure | null {
  const activityIds = new Set(run.ms.activityIds.keys());
  const timerIds = new Set(run.ms.timers.keys());
  for (const ev of run.buffered)
    if (ev.timerFiredEventAttributes?.timerId) timerIds.add(ev.timerFiredEventAttributes.timerId);
  for (const cmd of commands) {
    const t = cmd.commandType ?? 0;
    if (terminal.has(t) && hasBufferedEvents) {
      return { cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, message: 'UnhandledCommand' };
    }
    switch (t) {
      case C.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: {
        const { error } = fillActivityAttributes(run, cmd);
        const id = cmd.scheduleActivityTaskCommandAttributes?.activityId ?? '';
        if (error) return { cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, message: error };
        if (activityIds.has(id))
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_SCHEDULE_ACTIVITY_DUPLICATE_ID,
            message: `Activity ID ${id} is already in use.`,
          };
        activityIds.add(id);
        break;
      }
      case C.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK:
        if (!run.ms.activities.has(Number(cmd.requestCancelActivityTaskCommandAttributes?.scheduledEventId))) {
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES,
            message: 'Activity to cancel is not pending.',
          };
        }
        break;
      case C.COMMAND_TYPE_START_TIMER: {
        const a = cmd.startTimerCommandAttributes ?? {};
        if (!a.timerId)
          return { cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, message: 'TimerId is not set.' };
        if (durationMs(a.startToFireTimeout) <= 0)
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
            message: 'A valid StartToFireTimeout is not set on StartTimerCommand.',
          };
        if (timerIds.has(a.timerId))
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID,
            message: `Timer ID ${a.timerId} is already in use.`,
          };
        timerIds.add(a.timerId);
        break;
      }
      case C.COMMAND_TYPE_CANCEL_TIMER: {
        const id = cmd.cancelTimerCommandAttributes?.timerId ?? '';
        if (!timerIds.has(id))
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES,
            message: `Timer ID ${id} is not pending.`,
          };
        timerIds.delete(id);
        break;
      }
      case C.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
        const a = cmd.startChildWorkflowExecutionCommandAttributes ?? {};
        if (!a.workflowId || !a.workflowType?.name) {
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
            message: 'WorkflowId and WorkflowType are required.',
          };
        }
        const cronProblem = a.cronSchedule ? cronError(a.cronSchedule) : null;
        if (cronProblem)
          return { cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES, message: cronProblem };
        const saError = engine.namespaces.searchAttributeError(a.namespace || run.namespace, a.searchAttributes);
        if (saError)
          return { cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES, message: saError };
        break;
      }
      case C.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: {
        const a = cmd.signalExternalWorkflowExecutionCommandAttributes ?? {};
        if (!a.execution?.workflowId || !a.signalName) {
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
            message: 'WorkflowId and SignalName are required.',
          };
        }
        break;
      }
      case C.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
        if (!cmd.requestCancelExternalWorkflowExecutionCommandAttributes?.workflowId) {
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
            message: 'WorkflowId is required.',
          };
        }
        break;
      case C.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const attrs = cmd.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes;
        if (Object.keys(attrs?.indexedFields ?? {}).length === 0)
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES,
            message: 'IndexedFields is empty on command.',
          };
        const saError = engine.namespaces.searchAttributeError(run.namespace, attrs);
        if (saError) return { cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, message: saError };
        break;
      }
      case C.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION: {
        const saError = engine.namespaces.searchAttributeError(
          run.namespace,
          cmd.continueAsNewWorkflowExecutionCommandAttributes?.searchAttributes,
        );
        if (saError)
          return { cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES, message: saError };
        break;
      }
      case C.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
      case C.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
      case C.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
      case C.COMMAND_TYPE_RECORD_MARKER:
      case C.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES:
      case C.COMMAND_TYPE_PROTOCOL_MESSAGE: // its message is checked with the others (../updates/protocol.ts)
        break;
      default:
        return {
          cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_FEATURE_DISABLED,
          message: `${commandName(t)} is not supported by the embedded Temporal engine.`,
        };
    }
  }
  return null;
}

/** Applies validated commands. Returns whether a not-yet-started activity was canceled (needs a new task). */
export function applyCommands(
  engine: Engine,
  run: Run,
  commands: ICommand[],
  completedId: number,
): { activityCanceled: boolean } {
  let activityCanceled = false;
  for (const cmd of commands) {
    if (!run.isOpen) break;
    const before = run.events.length;
    applyCommand(engine, run, cmd, completedId, () => {
      activityCanceled = true;
    });
    // The command's user metadata (summary/details) goes on the event it produced, as the server does.
    const produced = run.events[before];
    if (produced && cmd.userMetadata) produced.userMetadata = cmd.userMetadata;
  }
  return { activityCanceled };
}

function applyCommand(
  engine: Engine,
  run: Run,
  cmd: ICommand,
  completedId: number,
  onActivityCanceled: () => void,
): void {
  switch (cmd.commandType) {
    case C.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: {
      const { attrs } = fillActivityAttributes(run, cmd);
      if (attrs) scheduleActivity(engine, run, attrs, completedId);
      break;
    }
    case C.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: {
      const info = run.ms.activities.get(Number(cmd.requestCancelActivityTaskCommandAttributes?.scheduledEventId));
      if (info && requestCancelActivity(engine, run, info, completedId)) onActivityCanceled();
      break;
    }
    case C.COMMAND_TYPE_START_TIMER:
      startUserTimer(engine, run, cmd.startTimerCommandAttributes ?? {}, completedId);
      break;
    case C.COMMAND_TYPE_CANCEL_TIMER:
      cancelUserTimer(engine, run, cmd.cancelTimerCommandAttributes?.timerId ?? '', completedId);
      break;
    case C.COMMAND_TYPE_RECORD_MARKER: {
      const a = cmd.recordMarkerCommandAttributes ?? {};
      run.append(E.EVENT_TYPE_MARKER_RECORDED, {
        markerRecordedEventAttributes: {
          markerName: a.markerName,
          details: a.details,
          header: a.header,
          failure: a.failure,
          workflowTaskCompletedEventId: completedId,
        },
      });
      break;
    }
    case C.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
      run.append(E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, {
        upsertWorkflowSearchAttributesEventAttributes: {
          searchAttributes: cmd.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes,
          workflowTaskCompletedEventId: completedId,
        },
      });
      break;
    case C.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES:
      run.append(E.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, {
        workflowPropertiesModifiedEventAttributes: {
          upsertedMemo: cmd.modifyWorkflowPropertiesCommandAttributes?.upsertedMemo,
          workflowTaskCompletedEventId: completedId,
        },
      });
      break;
    case C.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
      initiateChild(engine, run, cmd.startChildWorkflowExecutionCommandAttributes ?? {}, completedId);
      break;
    case C.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
      initiateExternalSignal(engine, run, cmd.signalExternalWorkflowExecutionCommandAttributes ?? {}, completedId);
      break;
    case C.COMMAND_TYPE_PROTOCOL_MESSAGE:
      applyProtocolMessageCommand(run, cmd.protocolMessageCommandAttributes?.messageId ?? '');
      break;
    case C.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
      initiateExternalCancel(
        engine,
        run,
        cmd.requestCancelExternalWorkflowExecutionCommandAttributes ?? {},
        completedId,
      );
      break;
    default:
      closeByCommand(engine, run, cmd, completedId);
  }
}

function closeByCommand(engine: Engine, run: Run, cmd: ICommand, completedId: number): void {
  switch (cmd.commandType) {
    case C.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION: {
      const result = cmd.completeWorkflowExecutionCommandAttributes?.result;
      const cron = cronNext(engine, run, { lastCompletionResult: result });
      run.append(E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, {
        workflowExecutionCompletedEventAttributes: {
          result,
          workflowTaskCompletedEventId: completedId,
          newExecutionRunId: cron?.newRunId ?? '',
        },
      });
      cron?.start();
      break;
    }
    case C.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION: {
      const failure = cmd.failWorkflowExecutionCommandAttributes?.failure;
      const retry = retryOnFailure(engine, run, failure ?? {});
      // Retries come first; a cron run that is not retried is followed by the next scheduled run.
      const cron = retry.start ? null : cronNext(engine, run, { failure });
      run.append(E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, {
        workflowExecutionFailedEventAttributes: {
          failure,
          workflowTaskCompletedEventId: completedId,
          retryState: retry.retryState ?? RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET,
          newExecutionRunId: retry.newRunId ?? cron?.newRunId ?? '',
        },
      });
      (retry.start ?? cron?.start)?.();
      break;
    }
    case C.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
      run.append(E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, {
        workflowExecutionCanceledEventAttributes: {
          details: cmd.cancelWorkflowExecutionCommandAttributes?.details,
          workflowTaskCompletedEventId: completedId,
        },
      });
      break;
    case C.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
      continueAsNew(engine, run, cmd.continueAsNewWorkflowExecutionCommandAttributes ?? {}, completedId);
      break;
    default:
      return;
  }
  onRunClosed(engine, run);
}
