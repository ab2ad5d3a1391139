import type { Command } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_USAGE, configFor, operatorName } from './common.js';

interface ShortcutOptions {
  worker?: string;
  label?: string;
  address?: string;
  wait?: boolean;
  json?: boolean;
}

const WHAT = {
  pause: 'pause the watcher: create the pause flag, then stop it (handler pause_watcher)',
  resume: 'resume the watcher: remove the pause flag, then start it (handler resume_watcher)',
  restart: 'restart the watcher (handler restart_watcher)',
} as const;

async function run(shortcut: keyof typeof WHAT, options: ShortcutOptions, command: Command): Promise<void> {
  const { config } = await configFor(command);
  const [{ startShortcut, waitForResult, formatResult }, { clientFor }, { FlagInvalidError }] = await Promise.all([
    import('../operator/shortcut.js'),
    import('./temporal-client.js'),
    import('../flags/write.js'),
  ]);
  const workerId = options.worker ?? config.worker_id;
  const connected = await clientFor(config, options.address);
  try {
    let task;
    try {
      task = await startShortcut(connected.client, config, shortcut, {
        workerId,
        label: options.label,
        requestedBy: operatorName(),
      });
    } catch (error) {
      if (error instanceof FlagInvalidError) throw new CliError(`${error.message}\nnothing started`, EXIT_USAGE);
      throw error;
    }
    process.stderr.write(`started ${task.handler} as ${task.workflow_id}\n`);
    if (options.wait !== true) {
      process.stdout.write(options.json === true ? `${JSON.stringify(task)}\n` : `${task.task_id}\n`);
      return;
    }
    const result = await waitForResult(connected.client, task);
    process.stdout.write(
      options.json === true ? `${JSON.stringify({ ...task, result }, null, 2)}\n` : formatResult(task, result),
    );
    if (!result.success) throw new CliError(`${task.task_id} failed: ${result.error ?? '-'}`, EXIT_FAILURE);
  } finally {
    await connected.close();
  }
}

/** `supervisor pause|resume|restart`: the operational handlers, started directly (same validation, lock and audit as a flag). */
export function registerShortcutCommands(program: Command): void {
  for (const shortcut of ['pause', 'resume', 'restart'] as const) {
    program
      .command(shortcut)
      .description(`${WHAT[shortcut]}; prints the task id, with --wait the result (exit 1 when it failed)`)
      .option('--worker <id>', 'worker to act on (default: worker_id of the configuration)')
      .option('--label <text>', 'label: up to 100 letters, digits, spaces, hyphens, underscores')
      .option('--address <host:port>', 'Temporal frontend (default: temporal.address, or the embedded engine address)')
      .option('--wait', 'wait for the handler and print its result')
      .option('--json', 'print the task (and with --wait its result) as JSON')
      .action((options: ShortcutOptions, command: Command) => run(shortcut, options, command));
  }
}
