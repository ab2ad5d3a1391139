/**
 * Workflow bundles built at most once per content hash: webpack costs seconds, so the first test file to
 * need a bundle writes it to the temp dir and the others (and later runs) reuse it.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

/** Every `.ts` file of `dir`, sorted: what a workflows folder's bundle depends on. */
export async function tsFilesOf(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((file) => file.endsWith('.ts')).sort().map((file) => path.join(dir, file));
}

/** Hash of the sources and of the SDK's version, so an SDK upgrade never reuses a stale bundle. */
async function contentHash(sources: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of sources) {
    hash.update(file);
    hash.update(await readFile(file));
  }
  const sdkEntry = createRequire(import.meta.url).resolve('@temporalio/workflow');
  hash.update(await readFile(path.join(path.dirname(sdkEntry), '..', 'package.json')));
  return hash.digest('hex').slice(0, 16);
}

/** The bundle of `workflowsPath`, rebuilt only when one of `sources` (or the SDK) changed. */
export async function cachedWorkflowBundle(workflowsPath: string, sources: string[]): Promise<{ code: string }> {
  const cacheDir = path.join(tmpdir(), 'temporal-supervisor-workflow-bundles');
  const cached = path.join(cacheDir, `${await contentHash(sources)}.js`);
  try {
    return { code: await readFile(cached, 'utf8') };
  } catch {
    // not built yet
  }
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quiet });
  await mkdir(cacheDir, { recursive: true });
  const partial = `${cached}.${process.pid}.tmp`;
  await writeFile(partial, code);
  await rename(partial, cached);
  return { code };
}
