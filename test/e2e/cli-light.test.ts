/**
 * The CLI answers at once because a command's file loads nothing but commander at its top level and its
 * work inside the action (issue 13). Checked on the built binary by recording every module it resolves:
 * which packages were loaded, not how long they took (timings are bench/cli.ts's).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { distMain, distProblem, root } from '../helpers/dist.js';
import { useTempDir } from '../helpers/tmp.js';

const recorder = path.join(root, 'test/helpers/bin/record-imports.mjs');
/** What only `start`/`worker`/`bundle` and the Temporal-facing commands may load. */
const HEAVY = ['@temporalio/worker', '@temporalio/client', '@grpc/grpc-js', 'mysql2', 'webpack', 'execa', 'pino'];

/** The npm packages (`name` or `@scope/name`) among the resolved file URLs. */
function packagesOf(urls: string[]): Set<string> {
  const names = urls.flatMap((url) => {
    const rest = url.split('/node_modules/').at(-1);
    if (rest === undefined || rest === url) return [];
    const [first, second] = rest.split('/');
    return first?.startsWith('@') === true ? [`${first}/${second ?? ''}`] : [first ?? ''];
  });
  return new Set(names);
}

describe('the CLI loads only what a command uses', () => {
  const tmp = useTempDir('cli-light-');

  beforeAll(() => {
    const problem = distProblem();
    if (problem !== undefined) throw new Error(problem);
  });

  /** Runs the built CLI; returns its result and the packages it loaded. */
  async function run(args: string[], env: Record<string, string> = {}) {
    const file = path.join(tmp(), `imports-${String(Date.now())}-${String(Math.random()).slice(2)}.txt`);
    writeFileSync(file, '');
    const result = await execa(process.execPath, ['--import', recorder, distMain, ...args], {
      cwd: tmp(),
      reject: false,
      env: { SUPERVISOR_CONFIG: '', RECORD_IMPORTS_FILE: file, ...env },
    });
    const urls = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(urls).toContain(`file://${distMain}`); // the recorder itself worked
    return { ...result, packages: packagesOf(urls) };
  }

  it('--version, --help and a usage error load commander and nothing else from node_modules', async () => {
    const version = await run(['--version']);
    expect(version.exitCode).toBe(0);
    expect([...version.packages]).toEqual(['commander']);
    const help = await run(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/Usage: supervisor/);
    expect([...help.packages]).toEqual(['commander']);
    const typo = await run(['frobnicate']);
    expect(typo.exitCode).toBe(2);
    expect([...typo.packages]).toEqual(['commander']);
  });

  it("every command's own --help loads commander only", async () => {
    const help = await run(['--help']);
    const commands = [...help.stdout.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)]
      .map((match) => match[1] ?? '')
      .filter((name) => name !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['start', 'worker', 'devserver', 'status', 'flag', 'wrap']));
    for (const command of commands) {
      const result = await run([command, '--help']);
      expect({ command, exitCode: result.exitCode }).toEqual({ command, exitCode: 0 });
      expect({ command, packages: [...result.packages] }).toEqual({ command, packages: ['commander'] });
    }
  });

  it('config, flag and drain do their work without Temporal, the database, webpack or the logger', async () => {
    const configFile = path.join(tmp(), 'supervisor.yaml');
    writeFileSync(configFile, `worker_id: light\npaths:\n  nas_root: ${JSON.stringify(path.join(tmp(), 'nas'))}\n`);
    const env = { SUPERVISOR_CONFIG: configFile };
    const config = await run(['config'], env);
    expect(config.exitCode).toBe(0);
    expect(config.stdout).toContain('"worker_id": "light"');
    expect(config.packages).toContain('zod');
    const drain = await run(['drain', '--reason', 'light'], env);
    expect(drain.exitCode).toBe(0);
    expect(drain.stdout).toMatch(/^draining light: /);
    // No inbox yet (nothing ran `start`): flag refuses, having loaded only what writing a flag needs.
    const flag = await run(['flag', 'diagnostics'], env);
    expect(flag.exitCode).toBe(1);
    expect(flag.stderr).toMatch(/inbox .* does not exist/);
    for (const result of [config, drain, flag]) expect(HEAVY.filter((name) => result.packages.has(name))).toEqual([]);
  });
});
