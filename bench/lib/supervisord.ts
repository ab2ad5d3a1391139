/** supervisord for the benches that compare against it (restart.ts, cli.ts): found, or installed when root. */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

export const SUPERVISORD = '/usr/bin/supervisord';
export const SUPERVISORCTL = '/usr/bin/supervisorctl';

/** Undefined when supervisord is there (installing it with apt-get when root); else why the bench skips it. */
export async function supervisordMissing(): Promise<string | undefined> {
  if (existsSync(SUPERVISORD)) return undefined;
  if (process.getuid?.() !== 0) return 'skipped: supervisord missing (apt-get install supervisor) and not root';
  process.stdout.write('installing supervisord (apt-get install supervisor)…\n');
  const install = await execa('apt-get', ['install', '-y', '--no-install-recommends', 'supervisor'], {
    reject: false,
    env: { DEBIAN_FRONTEND: 'noninteractive' },
  });
  return install.exitCode === 0
    ? undefined
    : `skipped: apt-get install supervisor failed: ${install.stderr.slice(-300)}`;
}

/** Writes `<dir>/supervisord.conf` (foreground, its socket in `dir`) with the given [program:…] lines; returns its path. */
export async function writeSupervisordConf(dir: string, program: string[]): Promise<string> {
  const conf = path.join(dir, 'supervisord.conf');
  await writeFile(
    conf,
    [
      '[supervisord]',
      'nodaemon=true',
      `logfile=${path.join(dir, 'supervisord.log')}`,
      `pidfile=${path.join(dir, 'supervisord.pid')}`,
      '[unix_http_server]',
      `file=${path.join(dir, 'supervisord.sock')}`,
      '[supervisorctl]',
      `serverurl=unix://${path.join(dir, 'supervisord.sock')}`,
      '[rpcinterface:supervisor]',
      'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
      ...program,
      '',
    ].join('\n'),
  );
  return conf;
}
