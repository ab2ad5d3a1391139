/** `npm run bench`: runs every benchmark in bench/ (or those named on the command line) one after another. */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

const here = import.meta.dirname;
const named = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((name) => name.endsWith('.ts') && name !== 'run.ts')
  .filter((name) => named.length === 0 || named.some((n) => name.startsWith(n)))
  .sort();

for (const bench of benches) {
  process.stdout.write(`\n== ${bench}\n`);
  const { exitCode } = await execa(path.join(here, '../node_modules/.bin/tsx'), [path.join(here, bench)], {
    stdio: 'inherit',
    reject: false,
  });
  if (exitCode !== 0) process.exitCode = 1;
}
