/**
 * `npm run build`, its compile step: tsc -p tsconfig.build.json, then the source manifest that lets
 * `npm start` run dist/ (scripts/build-state.mjs). The hashes are taken before tsc reads the files.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { removeSourceManifest, sourceHashes, writeSourceManifest } from './build-state.mjs';

const root = path.resolve(import.meta.dirname, '..');
const hashes = sourceHashes(root);
removeSourceManifest(root);
const tsc = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
writeSourceManifest(root, hashes);
