import type { Command } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_USAGE, configFor, operatorName } from './common.js';

interface CancelOptions {
  worker?: string;
  reason?: string;
  address?: string;
  wait: boolean;
  json?: boolean;
}

export function registerCancelCommand(program: Command): void {
  program
    .command('cancel')
    .description(
      'cancel a running handler: its compensation runs (a cancelled update puts the code back and starts the watcher unless paused); the result and audit name who cancelled and why. A task that already ended is reported, exit 0; an unknown task exits 1',
    )
    .argument('<task_id>', 'the task id (printed by flag, pause, resume, restart)')
    .option('--worker <id>', 'worker the task runs on (default: worker_id of the configuration)')
    .option('--reason <text>', 'why, for the result file and the audit')
    .option('--address <host:port>', 'Temporal frontend (default: temporal.address, or the embedded engine address)')
    .option('--no-wait', 'return once the cancel is requested, without waiting for the compensation')
    .option('--json', 'print the outcome as JSON')
    .action(async (taskId: string, options: CancelOptions, command: Command) => {
      const { config } = await configFor(command);
      const { isTaskId } = await import('../contract/ids.js');
      if (!isTaskId(taskId)) throw new CliError(`task id ${JSON.stringify(taskId)} is not valid`, EXIT_USAGE);
      if (options.reason !== undefined && options.reason.length > 500)
        throw new CliError('--reason: at most 500 characters', EXIT_USAGE);
      const [{ cancelTask, formatCancel, TaskNotFound }, { clientFor }] = await Promise.all([
        import('../operator/cancel.js'),
        import('./temporal-client.js'),
      ]);
      const connected = await clientFor(config, options.address);
      try {
        const outcome = await cancelTask(connected.client, config, {
          workerId: options.worker ?? config.worker_id,
          taskId,
          by: operatorName() ?? null,
          reason: options.reason ?? null,
          wait: options.wait,
        });
        process.stdout.write(options.json === true ? `${JSON.stringify(outcome, null, 2)}\n` : formatCancel(outcome));
      } catch (error) {
        if (error instanceof TaskNotFound) throw new CliError(error.message, EXIT_FAILURE);
        throw error;
      } finally {
        await connected.close();
      }
    });
}
