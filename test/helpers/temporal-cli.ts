/**
 * The official `temporal` CLI run against one server, for tests that check what an operator sees: a failed
 * command throws with its output, `json` parses `--output json`. With TEMPORAL_CLI_DUMP=<dir>, the last
 * answer of each command and target is saved under <dir>/<label>/ so the two servers' answers can be diffed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

export interface CliRunner {
  /** stdout of a command that must succeed. */
  ok(args: string[]): Promise<string>;
  /** The parsed `--output json` answer of a command that must succeed. */
  json<T = Record<string, unknown>>(args: string[]): Promise<T>;
  /** The text answer of a command that must succeed (saved too when dumping). */
  text(args: string[]): Promise<string>;
}

export interface CliRunnerOptions {
  binary: string;
  address: string;
  namespace: string;
  /** Names the dump folder (e.g. the server kind). */
  label: string;
  /** Replaced by `W` in dump file names, so both servers' files have the same names. */
  workerId: () => string;
}

export function temporalCli(options: CliRunnerOptions): CliRunner {
  const dumpDir = process.env.TEMPORAL_CLI_DUMP;
  const dump = (args: string[], extension: string, stdout: string): void => {
    if (dumpDir === undefined || dumpDir === '') return;
    const dir = path.join(dumpDir, options.label);
    const name = args
      .join(' ')
      .replaceAll(options.workerId(), 'W')
      .replace(/[^A-Za-z0-9_.-]+/g, '_')
      .slice(0, 80);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${name}.${extension}`), `# temporal ${args.join(' ')}\n${stdout}`);
  };
  const ok = async (args: string[]): Promise<string> => {
    const run = await execa(options.binary, [...args, '--address', options.address, '--namespace', options.namespace], {
      reject: false,
      stdin: 'ignore',
      timeout: 30_000,
    });
    if (run.exitCode !== 0)
      throw new Error(`temporal ${args.join(' ')} exited ${String(run.exitCode)}:\n${run.stdout}\n${run.stderr}`);
    return String(run.stdout);
  };
  return {
    ok,
    async json<T>(args: string[]): Promise<T> {
      const stdout = await ok([...args, '--output', 'json']);
      dump(args, 'json', stdout);
      return JSON.parse(stdout) as T;
    },
    async text(args) {
      const stdout = await ok(args);
      dump(args, 'txt', stdout);
      return stdout;
    },
  };
}
