/** The commands the supervisor runs: the watcher (executable) and the dependency installer (present). */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../config/schema.js';
import { advise, fail, pass } from './check.js';
import type { CheckRow } from './check.js';

const GROUP = 'commands';

/** Where `command` resolves as execa would find it (a path as is, a bare name on PATH), or undefined. */
export async function resolveExecutable(command: string, cwd: string): Promise<string | undefined> {
  const candidates =
    command.includes('/') || command.includes(path.sep)
      ? [path.resolve(cwd, command)]
      : (process.env.PATH ?? '')
          .split(path.delimiter)
          .filter(Boolean)
          .flatMap((dir) => {
            const base = path.join(dir, command);
            return process.platform === 'win32' ? ['.exe', '.cmd', '.bat', ''].map((ext) => base + ext) : [base];
          });
  for (const file of candidates) {
    try {
      if (!(await stat(file)).isFile()) continue;
      await access(file, constants.X_OK);
      return file;
    } catch {
      // next candidate
    }
  }
  return undefined;
}

export async function commandChecks(config: Config): Promise<CheckRow[]> {
  const { command, cwd } = config.watcher;
  const watcher = await resolveExecutable(command, cwd);
  const rows = [
    watcher === undefined
      ? fail(
          GROUP,
          'watcher command',
          `${command} is not an executable file (looked ${command.includes('/') ? `at ${path.resolve(cwd, command)}` : 'on PATH'})`,
          'install it or fix watcher.command (an absolute path is safest)',
        )
      : pass(GROUP, 'watcher command', watcher),
  ];
  const deps = config.repo.deps_install.command;
  const found = await resolveExecutable(deps, config.repo.dir ?? cwd);
  if (found !== undefined) rows.push(pass(GROUP, 'deps command', found));
  else if (config.repo.dir === undefined)
    rows.push(
      advise(
        GROUP,
        'deps command',
        `${deps} not found (no repo.dir, so update_code does not run)`,
        'install it before configuring repo.dir',
      ),
    );
  else
    rows.push(
      fail(
        GROUP,
        'deps command',
        `${deps} not found: update_code would fail installing dependencies`,
        'install it, or fix repo.deps_install.command',
      ),
    );
  return rows;
}
