/**
 * `supervisor tasks` (the handler runs, from Temporal visibility) and `supervisor logs <task_id>` (one
 * task's timeline, log lines and result). Light at load: the work is in src/operator, imported on use.
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import type { Config } from '../config/schema.js';
import type { TaskStatus } from '../operator/tasks.js';
import { CliError, EXIT_USAGE, checkedWorker, configFor } from './common.js';

// operator/timeline.ts TASK_STATUSES, repeated so `--help` loads no Temporal module.
const STATUSES = [
  'running',
  'awaiting_approval',
  'completed',
  'failed',
  'rejected',
  'expired',
  'canceled',
  'terminated',
  'timed_out',
];

interface TasksOptions {
  worker?: string;
  all?: boolean;
  handler?: string;
  status?: string;
  since?: string;
  limit: string;
  json?: boolean;
  address?: string;
}

interface LogsOptions {
  worker?: string;
  follow?: boolean;
  address?: string;
}

/** Connects to the configured Temporal for the length of `work`; unreachable is a plain failure. */
async function withClient<T>(config: Config, address: string | undefined, work: (client: Client) => Promise<T>) {
  const { clientFor } = await import('./temporal-client.js');
  const { client, close } = await clientFor(config, address);
  try {
    return await work(client);
  } finally {
    await close();
  }
}

export function registerTaskCommands(program: Command): void {
  program
    .command('tasks')
    .description('handler runs, newest first: task, handler, label, requested by, status, started, duration, outcome')
    .option('--worker <id>', 'the worker whose tasks to list (default: worker_id of the configuration)')
    .option('--all', 'every worker of this Temporal namespace')
    .option('--handler <name>', 'only this handler')
    .addOption(new Option('--status <status>', 'only runs in this state').choices(STATUSES))
    .option('--since <duration>', 'only runs started within this long, e.g. 2h, 30m, 1d')
    .option('--limit <n>', 'at most this many rows', '20')
    .option('--json', 'print the rows as JSON')
    .option('--address <host:port>', 'Temporal frontend (default: temporal.address, or the embedded engine address)')
    .action(async (options: TasksOptions, command: Command) => {
      if (options.all === true && options.worker !== undefined)
        throw new CliError('--all and --worker exclude each other', EXIT_USAGE);
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw new CliError(
          `--limit ${JSON.stringify(options.limit)}: expected a whole number from 1 to 1000`,
          EXIT_USAGE,
        );
      const [{ isHandler, HANDLERS }, { Duration }] = await Promise.all([
        import('../flags/handlers.js'),
        import('../config/units.js'),
      ]);
      if (options.handler !== undefined && !isHandler(options.handler))
        throw new CliError(
          `--handler ${JSON.stringify(options.handler)}: expected one of ${HANDLERS.join(', ')}`,
          EXIT_USAGE,
        );
      let sinceMs: number | undefined;
      if (options.since !== undefined) {
        const parsed = Duration.safeParse(options.since);
        if (!parsed.success || parsed.data <= 0)
          throw new CliError(
            `--since ${JSON.stringify(options.since)}: expected a duration like 30m, 2h or 1d`,
            EXIT_USAGE,
          );
        sinceMs = parsed.data;
      }
      const { config } = await configFor(command);
      const workerId = options.all === true ? null : ((await checkedWorker(options.worker)) ?? config.worker_id);
      const { listTasks, formatTasks } = await import('../operator/tasks.js');
      const rows = await withClient(config, options.address, (client) =>
        listTasks(client, {
          workerId,
          handler: options.handler,
          status: options.status as TaskStatus | undefined,
          sinceMs,
          limit,
        }),
      );
      process.stdout.write(
        options.json === true ? `${JSON.stringify(rows, null, 2)}\n` : formatTasks(rows, workerId === null),
      );
    });

  program
    .command('logs')
    .description("one task's story: its timeline from the workflow history, its log lines and its result file")
    .argument('<task_id>', 'the task id (printed by `supervisor flag`, listed by `supervisor tasks`)')
    .option('--worker <id>', 'the worker that ran it (default: worker_id of the configuration)')
    .option('-f, --follow', 'follow a running task until it ends')
    .option('--address <host:port>', 'Temporal frontend (default: temporal.address, or the embedded engine address)')
    .action(async (taskId: string, options: LogsOptions, command: Command) => {
      const { isTaskId } = await import('../contract/ids.js');
      if (!isTaskId(taskId)) throw new CliError(`${JSON.stringify(taskId.slice(0, 80))} is not a task id`, EXIT_USAGE);
      const { config } = await configFor(command);
      const workerId = (await checkedWorker(options.worker)) ?? config.worker_id;
      const logs = await import('../operator/task-logs.js');
      await withClient(config, options.address, async (client) => {
        try {
          if (options.follow !== true) {
            process.stdout.write(await logs.formatTaskLogs(client, config, taskId, workerId));
            return;
          }
          let stop = false;
          const onSignal = (): void => {
            stop = true;
          };
          process.once('SIGINT', onSignal);
          try {
            await logs.followTaskLogs(client, config, taskId, workerId, {
              write: (text) => process.stdout.write(text),
              stopped: () => stop,
            });
          } finally {
            process.off('SIGINT', onSignal);
          }
        } catch (error) {
          if (error instanceof logs.UnknownTaskError) throw new CliError(error.message);
          throw error;
        }
      });
    });
}
