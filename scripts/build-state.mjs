/**
 * Whether dist/ was compiled from the src/ that is on disk now. `npm run build` (scripts/build.mjs) hashes
 * every file tsc reads from the project (src/, the tsconfigs) before it compiles and records the hashes in
 * dist/source-manifest.json once tsc succeeded; `npm start` (scripts/supervisor.mjs) runs dist/ only when
 * the same hashes come out now. Hashes, not mtimes: a checkout or a copy moves mtimes either way.
 * Plain JavaScript: it decides whether the compiled code can be trusted, so it cannot be compiled itself.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const MANIFEST = path.join('dist', 'source-manifest.json');
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json'];

/** sha256 of every file tsc compiles dist/ from, keyed by its path relative to `root` (sorted). */
export function sourceHashes(root) {
  const files = readdirSync(path.join(root, 'src'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .concat(CONFIGS)
    .sort();
  return Object.fromEntries(
    files.map((file) => [
      file,
      createHash('sha256')
        .update(readFileSync(path.join(root, file)))
        .digest('hex'),
    ]),
  );
}

/** Before tsc writes into dist/: a failed or interrupted build leaves no manifest to trust. */
export function removeSourceManifest(root) {
  rmSync(path.join(root, MANIFEST), { force: true });
}

/** Records `hashes` (taken before tsc ran, so an edit made during the build reads as a change). */
export function writeSourceManifest(root, hashes) {
  writeFileSync(path.join(root, MANIFEST), `${JSON.stringify({ sources: hashes }, null, 2)}\n`);
}

/** Why dist/ is not the compiled src/ (the first difference found), or undefined when it is. */
export function distStaleness(root) {
  let built;
  try {
    built = JSON.parse(readFileSync(path.join(root, MANIFEST), 'utf8')).sources;
  } catch {
    return `${MANIFEST} is missing (npm run build writes it)`;
  }
  const now = sourceHashes(root);
  for (const [file, hash] of Object.entries(now)) {
    if (built[file] === undefined) return `${file} is new since the build`;
    if (built[file] !== hash) return `${file} changed since the build`;
  }
  for (const file of Object.keys(built)) if (now[file] === undefined) return `${file} was removed since the build`;
  return undefined;
}
