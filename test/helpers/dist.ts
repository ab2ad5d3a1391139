/** The built CLI (`dist/cli/main.js`) for tests and benches that run the binary as an operator would. */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

export const root = path.resolve(import.meta.dirname, '../..');
export const distMain = path.join(root, 'dist/cli/main.js');

function newestMtime(dir: string): { file: string; mtimeMs: number } {
  let newest = { file: dir, mtimeMs: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const { mtimeMs } = statSync(file);
    if (mtimeMs > newest.mtimeMs) newest = { file, mtimeMs };
  }
  return newest;
}

/** Why dist cannot stand for src (missing, or older than a source file), or undefined when it is current. */
export function distProblem(): string | undefined {
  let built: number;
  try {
    built = statSync(distMain).mtimeMs;
  } catch {
    return `${distMain} is missing: run \`npm run build\` first`;
  }
  const newest = newestMtime(path.join(root, 'src'));
  return newest.mtimeMs > built
    ? `${distMain} is older than ${path.relative(root, newest.file)}: run \`npm run build\` first`
    : undefined;
}

/** Throws unless dist exists and is at least as new as every file under src. */
export function assertFreshDist(): void {
  const problem = distProblem();
  if (problem !== undefined) throw new Error(problem);
}

/** Runs the built CLI; never throws on a non-zero exit. No configuration is picked up unless given. */
export function distCli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}) {
  return execa(process.execPath, [distMain, ...args], {
    reject: false,
    cwd: options.cwd,
    env: { SUPERVISOR_CONFIG: '', ...options.env },
    extendEnv: true,
  });
}
