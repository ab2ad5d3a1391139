import type { Command } from 'commander';
import { HANDLERS } from '../flags/handlers.js';
import type { FlagInput, FlagProblem } from '../flags/schema.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, configFor, operatorName } from './common.js';

interface FlagOptions {
  worker?: string;
  label?: string;
  param: string[];
  taskId?: string;
  requestedBy?: string;
}

const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** `k=v` pairs to params. A number-looking value becomes a number, so the schema's range check applies. */
function parseParams(pairs: string[]): { params: Record<string, unknown>; problems: FlagProblem[] } {
  const entries: [string, unknown][] = [];
  const problems: FlagProblem[] = [];
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = at > 0 ? pair.slice(0, at) : '';
    if (key === '') {
      problems.push({ path: 'params', message: `--param ${JSON.stringify(pair)} must be written key=value` });
    } else if (entries.some(([seen]) => seen === key)) {
      problems.push({ path: `params.${key}`, message: 'is given twice' });
    } else {
      const value = pair.slice(at + 1);
      entries.push([key, NUMBER.test(value) ? Number(value) : value]);
    }
  }
  // fromEntries makes own properties even for "__proto__", which the flag parser then refuses by name.
  return { params: Object.fromEntries(entries), problems };
}

function invalid(problems: FlagProblem[]): CliError {
  return new CliError(
    `invalid flag, nothing written:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
    EXIT_USAGE,
  );
}

export function registerFlagCommand(program: Command): void {
  program
    .command('flag')
    .description('write a flag into the inbox (validated and, with a key configured, signed); prints its task id')
    .argument('<handler>', `one of ${HANDLERS.join(', ')}`)
    .option('--worker <id>', 'worker the flag is for (default: worker_id of the configuration)')
    .option('--label <text>', 'label: up to 100 letters, digits, spaces, hyphens, underscores')
    .option(
      '--param <key=value>',
      'handler parameter, repeatable (e.g. commits_back=3)',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('--task-id <id>', 'task id (default: task_YYYYMMDD_HHMMSS_<random>, UTC)')
    .option('--requested-by <name>', 'who asks, for the audit (default: user@host)')
    .action(async (handler: string, options: FlagOptions, command: Command) => {
      const { config } = await configFor(command);
      const { checkFlag } = await import('../flags/schema.js');
      const { FlagInvalidError, FlagWaitingError, newTaskId, writeFlag } = await import('../flags/write.js');
      const { params, problems } = parseParams(options.param);
      const taskId = options.taskId ?? newTaskId();
      // Untyped operator input on purpose: writeFlag validates it with the ingest's own schema.
      const flag = {
        task_id: taskId,
        handler,
        label: options.label,
        params,
        requested_by: options.requestedBy ?? operatorName(),
      } as FlagInput;
      if (problems.length > 0) {
        const rest = checkFlag(flag);
        throw invalid([...problems, ...(rest.ok ? [] : rest.problems.filter((p) => !p.path.startsWith('params')))]);
      }
      const workerId = options.worker ?? config.worker_id;
      let written: string;
      try {
        written = await writeFlag(config.paths.inbox, flag, {
          workerId,
          maxSize: config.ingest.max_flag_size,
          hmacKey: config.security.hmac_key,
        });
      } catch (error) {
        if (error instanceof FlagInvalidError) throw invalid(error.problems);
        if (error instanceof FlagWaitingError) throw new CliError(error.message, EXIT_FAILURE);
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new CliError(
            `inbox ${config.paths.inbox} does not exist: check paths.inbox and the share's mount (supervisor start creates it)`,
            EXIT_FAILURE,
          );
        }
        throw error;
      }
      process.stderr.write(`flag written: ${written}\n`);
      process.stdout.write(`${taskId}\n`);
    });
}
