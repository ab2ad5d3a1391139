/**
 * `supervisor approvals` (the requests waiting for a decision), `supervisor approve <task_id>` and
 * `supervisor reject <task_id>` (issue 14). Light at load: the work is in src/operator, imported on use.
 * The operator's input is checked before any network call (exit 2); a refusal by the workflow exits 1.
 */
import type { Command } from 'commander';
import type { ApprovalDecisionKind } from '../contract/approvals.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, configFor, checkedWorker, operatorName } from './common.js';

interface ListOptions {
  all?: boolean;
  worker?: string;
  allWorkers?: boolean;
  json?: boolean;
  limit: string;
  address?: string;
}

interface DecideOptions {
  comment?: string;
  worker?: string;
  by?: string;
  json?: boolean;
  address?: string;
}

const ADDRESS_HELP = 'Temporal frontend (default: temporal.address, or the embedded engine address)';

/** Task id, comment and decider, checked before anything connects. */
async function checkedDecision(
  taskId: string,
  options: DecideOptions,
): Promise<{ by: string; comment: string | null }> {
  const [{ isTaskId }, { DeciderName, MAX_DECISION_COMMENT }] = await Promise.all([
    import('../contract/ids.js'),
    import('../flags/decision.js'),
  ]);
  if (!isTaskId(taskId)) throw new CliError(`${JSON.stringify(taskId.slice(0, 80))} is not a task id`, EXIT_USAGE);
  if (options.comment !== undefined && options.comment.length > MAX_DECISION_COMMENT)
    throw new CliError(`--comment: at most ${String(MAX_DECISION_COMMENT)} characters`, EXIT_USAGE);
  const by = options.by ?? operatorName();
  if (by === undefined) throw new CliError('cannot tell who you are: name yourself with --by <name>', EXIT_USAGE);
  const parsed = DeciderName.safeParse(by);
  if (!parsed.success)
    throw new CliError(
      `--by ${JSON.stringify(by.slice(0, 80))}: ${parsed.error.issues[0]?.message ?? 'not an operator name'}`,
      EXIT_USAGE,
    );
  return { by, comment: options.comment ?? null };
}

function registerDecision(program: Command, kind: ApprovalDecisionKind, description: string): void {
  program
    .command(kind)
    .description(description)
    .argument('<task_id>', 'the task waiting for a decision (listed by `supervisor approvals`)')
    .option('--comment <text>', 'why, for the result file and the audit (at most 500 characters)')
    .option('--worker <id>', 'worker the task runs on (default: worker_id of the configuration)')
    .option('--by <name>', 'who decides, checked against approvals.deciders (default: user@host)')
    .option('--json', 'print the outcome as JSON')
    .option('--address <host:port>', ADDRESS_HELP)
    .action(async (taskId: string, options: DecideOptions, command: Command) => {
      const decision = await checkedDecision(taskId, options);
      const worker = await checkedWorker(options.worker);
      const { config } = await configFor(command);
      const [{ decideApproval, DecisionRefused }, { formatDecision }, { clientFor }] = await Promise.all([
        import('../operator/approvals.js'),
        import('../operator/approvals-format.js'),
        import('./temporal-client.js'),
      ]);
      const connected = await clientFor(config, options.address);
      try {
        const outcome = await decideApproval(connected.client, {
          workerId: worker ?? config.worker_id,
          taskId,
          kind,
          decision: { ...decision, via: 'cli' },
        });
        process.stdout.write(
          options.json === true ? `${JSON.stringify(outcome, null, 2)}\n` : formatDecision(kind, outcome),
        );
      } catch (error) {
        if (error instanceof DecisionRefused) throw new CliError(error.message, EXIT_FAILURE);
        throw error;
      } finally {
        await connected.close();
      }
    });
}

export function registerApprovalCommands(program: Command): void {
  program
    .command('approvals')
    .description(
      'handler runs waiting for an approval: task, handler, label, requested by, age, expires in, status and what approving it will do',
    )
    .option('--all', 'decided and expired requests too, not only the pending ones')
    .option('--worker <id>', 'the worker whose requests to list (default: worker_id of the configuration)')
    .option('--all-workers', 'every worker of this Temporal namespace')
    .option('--json', 'print the rows as JSON')
    .option('--limit <n>', 'at most this many rows', '20')
    .option('--address <host:port>', ADDRESS_HELP)
    .action(async (options: ListOptions, command: Command) => {
      if (options.allWorkers === true && options.worker !== undefined)
        throw new CliError('--all-workers and --worker exclude each other', EXIT_USAGE);
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw new CliError(
          `--limit ${JSON.stringify(options.limit)}: expected a whole number from 1 to 1000`,
          EXIT_USAGE,
        );
      const worker = await checkedWorker(options.worker);
      const { config } = await configFor(command);
      const workerId = options.allWorkers === true ? null : (worker ?? config.worker_id);
      const [{ listApprovals }, { formatApprovals }, { clientFor }] = await Promise.all([
        import('../operator/approvals.js'),
        import('../operator/approvals-format.js'),
        import('./temporal-client.js'),
      ]);
      const connected = await clientFor(config, options.address);
      try {
        const rows = await listApprovals(connected.client, { workerId, all: options.all === true, limit });
        process.stdout.write(
          options.json === true ? `${JSON.stringify(rows, null, 2)}\n` : formatApprovals(rows, workerId === null),
        );
      } finally {
        await connected.close();
      }
    });

  registerDecision(
    program,
    'approve',
    'approve a waiting handler run: the workflow re-checks the live state (refused as stale when it moved) and the deciders, then runs the handler. A refusal prints the reason and exits 1',
  );
  registerDecision(
    program,
    'reject',
    'reject a waiting handler run: it ends without side effects, its result names who rejected it and why. A refusal prints the reason and exits 1',
  );
}
