/** `supervisor worker` as main.ts will wire it, without touching main.ts: global options plus the one command. */
import { Command } from 'commander';
import { registerWorkerCommand } from '../../../src/cli/worker.js';

const program = new Command('supervisor').option('-c, --config <file>').option('--log-level <level>');
registerWorkerCommand(program);
await program.parseAsync(process.argv);
