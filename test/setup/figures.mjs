// jest globalSetup/globalTeardown: a file for the figures suites record (test/helpers/figures.ts), printed last.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'supervisor-figures-'));
  process.env.SUPERVISOR_TEST_FIGURES = path.join(dir, 'figures.txt');
}

export function teardown() {
  const file = process.env.SUPERVISOR_TEST_FIGURES;
  if (file === undefined) return;
  const text = (() => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  })();
  if (text !== '') process.stdout.write(`\nfigures:\n${text}`);
  rmSync(path.dirname(file), { recursive: true, force: true });
}
