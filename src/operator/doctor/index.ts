/**
 * `supervisor doctor`: every check, in the order an operator fixes things (configuration, folders, Temporal,
 * database, checkout, commands), as rows of Pass / Advisory / Fail with a fix. Runs with or without the
 * supervisor; an invalid configuration is the one row there is.
 */
import { frontendAddress } from '../../config/address.js';
import { ConfigError, loadConfig } from '../../config/load.js';
import { fail, pass } from './check.js';
import type { CheckRow } from './check.js';
import { commandChecks } from './commands.js';
import { databaseChecks } from './database.js';
import { pathChecks } from './paths.js';
import { repoChecks } from './repo.js';
import { temporalChecks } from './temporal.js';

export type { CheckRow, CheckStatus } from './check.js';

export interface DoctorReport {
  ok: boolean;
  counts: { pass: number; advisory: number; fail: number };
  checks: CheckRow[];
}

export interface DoctorInput {
  configFile: string | undefined;
  /** Temporal address override; default the configured one (or the embedded engine's). */
  address?: string;
}

function report(checks: CheckRow[]): DoctorReport {
  const count = (status: CheckRow['status']) => checks.filter((row) => row.status === status).length;
  const counts = { pass: count('pass'), advisory: count('advisory'), fail: count('fail') };
  return { ok: counts.fail === 0, counts, checks };
}

export async function runDoctor(input: DoctorInput): Promise<DoctorReport> {
  let parsed;
  try {
    parsed = loadConfig(input.configFile, process.env, ['database']);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return report([
      fail('config', 'valid', error.message, 'fix the configuration (supervisor config prints what it resolves to)'),
    ]);
  }
  const { config, source, unusable } = parsed;
  const address = input.address ?? frontendAddress(config);
  const [paths, temporal, database, repo, commands] = await Promise.all([
    pathChecks(config),
    temporalChecks(config, address),
    databaseChecks(config, unusable),
    repoChecks(config),
    commandChecks(config),
  ]);
  return report([
    pass('config', 'valid', `${source} (worker ${config.worker_id})`),
    ...paths,
    ...temporal,
    ...database,
    ...repo,
    ...commands,
  ]);
}

const LABEL = { pass: 'PASS', advisory: 'ADVISE', fail: 'FAIL' } as const;

export function formatDoctor(doctor: DoctorReport): string {
  const width = Math.max(...doctor.checks.map((row) => `${row.group} ${row.check}`.length));
  const lines = doctor.checks.flatMap((row) => [
    `${LABEL[row.status].padEnd(7)}${`${row.group} ${row.check}`.padEnd(width + 2)}${row.detail}`,
    ...(row.fix === undefined ? [] : [`${' '.repeat(width + 9)}fix: ${row.fix}`]),
  ]);
  const { pass: ok, advisory, fail: failed } = doctor.counts;
  lines.push('', `${ok} passed, ${advisory} advisory, ${failed} failed`);
  return `${lines.join('\n')}\n`;
}
