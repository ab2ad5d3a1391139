/**
 * `npm start` and `npm run supervisor`: the built CLI (dist/) when it was compiled from the src/ on disk,
 * else the source through tsx, in this process either way. tsx compiles every module at every start
 * (about a second of a 2-core machine); a dist/ older than src/ would run stale code, so it never runs.
 */
import path from 'node:path';
import { distStaleness } from './build-state.mjs';

const root = path.resolve(import.meta.dirname, '..');
const stale = distStaleness(root);
if (stale === undefined) {
  await import('../dist/cli/main.js');
} else {
  process.stderr.write(`supervisor: running from source (${stale}); npm run build makes the start faster\n`);
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
