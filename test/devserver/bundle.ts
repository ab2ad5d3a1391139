/**
 * The conformance workflow bundle, built at most once per content hash: webpack costs seconds, so the
 * first test file to need a bundle writes it to the temp dir and the others (and later runs) reuse it.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const workflowsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'workflows');

async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  const files = (await readdir(workflowsDir)).filter((f) => f.endsWith('.ts')).sort();
  for (const file of files) {
    hash.update(file);
    hash.update(await readFile(path.join(workflowsDir, file)));
  }
  const sdkEntry = createRequire(import.meta.url).resolve('@temporalio/workflow');
  hash.update(await readFile(path.join(path.dirname(sdkEntry), '..', 'package.json')));
  return hash.digest('hex').slice(0, 16);
}

export async function loadWorkflowBundle(): Promise<{ code: string }> {
  const cacheDir = path.join(tmpdir(), 'temporal-supervisor-devserver-bundles');
  const cached = path.join(cacheDir, `${await sourceHash()}.js`);
  try {
    return { code: await readFile(cached, 'utf8') };
  } catch {
    // not built yet
  }
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(workflowsDir, 'index.ts'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  await mkdir(cacheDir, { recursive: true });
  const partial = `${cached}.${process.pid}.tmp`;
  await writeFile(partial, code);
  await rename(partial, cached);
  return { code };
}
