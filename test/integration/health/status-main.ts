/** `supervisor status` as a process without main.ts (the lead registers it there). */
import { Command, Option } from 'commander';
import { registerStatusCommand } from '../../../src/cli/status.js';

const program = new Command('supervisor')
  .option('-c, --config <file>')
  .addOption(new Option('--log-level <level>'))
  .exitOverride();
registerStatusCommand(program);
await program.parseAsync(process.argv);
