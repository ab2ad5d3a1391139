/**
 * The built CLI (`dist/cli/main.js`) for e2e tests, refusing to run stale code: a src file newer than the
 * build fails the test with what to do, rather than testing yesterday's program.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

const root = path.resolve(import.meta.dirname, '../..');
export const DIST_MAIN = path.join(root, 'dist/cli/main.js');

function newestMtime(dir: string): { file: string; mtime: number } {
  let newest = { file: dir, mtime: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const { mtimeMs } = statSync(file);
    if (mtimeMs > newest.mtime) newest = { file, mtime: mtimeMs };
  }
  return newest;
}

/** Throws unless dist exists and is at least as new as every file under src. */
export function assertFreshDist(): void {
  let built: number;
  try {
    built = statSync(DIST_MAIN).mtimeMs;
  } catch {
    throw new Error(`${DIST_MAIN} is missing: run "npm run build" before the e2e tests`);
  }
  const newest = newestMtime(path.join(root, 'src'));
  if (newest.mtime > built)
    throw new Error(`dist is older than ${path.relative(root, newest.file)}: run "npm run build" before the e2e tests`);
}

/** Runs the built CLI; never throws on a non-zero exit. No configuration is picked up unless given. */
export function distCli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}) {
  return execa(process.execPath, [DIST_MAIN, ...args], {
    reject: false,
    cwd: options.cwd,
    env: { SUPERVISOR_CONFIG: '', ...options.env },
    extendEnv: true,
  });
}
