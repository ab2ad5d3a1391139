/**
 * Figures a suite proves (`hostile inputs rejected: 44/44, executed: 0`): printed where the test runs and kept
 * in the file jest's global setup names, which its teardown prints as the run's last lines (test/setup/figures.mjs).
 */
import { appendFileSync } from 'node:fs';

export function recordFigure(line: string): void {
  process.stdout.write(`${line}\n`);
  const file = process.env.SUPERVISOR_TEST_FIGURES;
  if (file !== undefined && file !== '') appendFileSync(file, `${line}\n`);
}
