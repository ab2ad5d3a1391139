/** `supervisor wrap` as a process without main.ts (the lead registers it there): node --import tsx wrap-main.ts wrap ... */
import { Command } from 'commander';
import { registerWrapCommand } from '../../../src/cli/wrap.js';
import { CliError } from '../../../src/cli/common.js';

const program = new Command('supervisor').exitOverride();
registerWrapCommand(program);
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CliError)) throw error;
  process.stderr.write(`supervisor: ${error.message}\n`);
  process.exitCode = error.exitCode;
}
