import type { Command } from 'commander';
import { configFor } from './common.js';

/** Keys whose values never leave the process: printed as `***`. */
const SECRET_KEYS = /password|secret|key|token|url/i;

function redact(value: unknown, key = ''): unknown {
  if (typeof value === 'string' && SECRET_KEYS.test(key)) return '***';
  if (Array.isArray(value)) return value.map((item) => redact(item));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  }
  return value;
}

export function registerConfigCommands(program: Command): void {
  program
    .command('config')
    .description('validate the configuration and print it resolved (defaults filled in, secrets redacted)')
    .action((_options, command: Command) => {
      const { config, source } = configFor(command);
      process.stdout.write(`# ${source}: valid\n${JSON.stringify(redact(config), null, 2)}\n`);
    });
}
