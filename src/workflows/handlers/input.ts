/**
 * Every handler workflow's input is checked here before anything happens: a start straight through
 * Temporal (`temporal workflow start`, Web UI, a script) skips the ingest, so the workflow itself
 * applies the flag schema. Sandbox-safe: zod and the plain flag schema only.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { INVALID_HANDLER_INPUT } from '../../contract/failures.js';
import type { HandlerInput } from '../../contract/handlers.js';
import { handlerWorkflowId } from '../../contract/ids.js';
import { checkFlag } from '../../flags/schema.js';
import type { FlagProblem } from '../../flags/schema.js';

function refuse(workflowType: string, problems: FlagProblem[]): ApplicationFailure {
  const listed = problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
  return ApplicationFailure.create({
    type: INVALID_HANDLER_INPUT,
    nonRetryable: true,
    message: `invalid input for ${workflowType}, nothing was done: ${listed}`,
    details: [{ problems }],
  });
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The validated flag, or a non-retryable InvalidHandlerInput naming every problem (path: message).
 * An input without `handler` takes the workflow type (the README's `--input '{"task_id":…}'` form);
 * one that names another handler is refused.
 */
export function validatedInput(input: unknown, workflowType: string): HandlerInput {
  const body = isObject(input) && !('handler' in input) ? { ...input, handler: workflowType } : input;
  const named = isObject(body) ? body.handler : undefined;
  const problems: FlagProblem[] = [];
  if (typeof named === 'string' && named !== workflowType)
    problems.push({ path: 'handler', message: `is ${JSON.stringify(named)} but this workflow is ${workflowType}` });
  const checked = checkFlag(body);
  if (!checked.ok)
    problems.push(...checked.problems.filter((problem) => !(problem.path === 'handler' && problems.length > 0)));
  if (problems.length > 0 || !checked.ok) throw refuse(workflowType, problems);
  return checked.flag;
}

/**
 * SPEC: a task runs once, under `<workerId>/<task_id>`. A start under another id would dodge that
 * (the same task id twice) and write over the real task's result file, so it is refused.
 */
export function checkWorkflowId(workflowId: string, workerId: string, flag: HandlerInput): void {
  const expected = handlerWorkflowId(workerId, flag.task_id);
  if (workflowId !== expected) {
    throw refuse(flag.handler, [
      {
        path: '(workflow id)',
        message: `is ${JSON.stringify(workflowId)}; a ${flag.handler} for task ${flag.task_id} on ${workerId} must run as ${JSON.stringify(expected)}`,
      },
    ]);
  }
}
