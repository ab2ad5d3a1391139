/** `supervisor` with only the ingest commands registered, for running `supervisor ingest` as a process. */
import { Command } from 'commander';
import { registerIngestCommands } from '../../../src/cli/ingest.js';

const program = new Command('supervisor').option('-c, --config <file>').option('--log-level <level>').exitOverride();
registerIngestCommands(program);
await program.parseAsync(process.argv);
