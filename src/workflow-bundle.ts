/**
 * The workflow bundle, built once and loaded at start. Webpack costs seconds and prints a page of output, so
 * `npm run build` (`supervisor bundle`) writes it next to the code it was built from with a manifest of every
 * file it read; a start loads it when those files are unchanged and rebuilds it (quietly) when one changed,
 * so an edited workflow is never run from a stale bundle.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger as SdkLogger } from '@temporalio/common';
import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFileAtomic, writeJsonAtomic } from './lib/atomic.js';
import type { Logger } from './observability/logger.js';

/** What a bundle was built from: its entry, the SDK version, and the hash of every project file it read. */
interface Manifest {
  workflowsPath: string;
  sdk: string;
  /** How it was built (FORMAT); a bundle of another format is rebuilt. Absent in the first manifests. */
  format?: string;
  sources: Record<string, string>;
}

/**
 * The SDK's inline source map carries every module's source (1 MB of the 3 MB bundle), which each worker
 * holds twice (the main thread's copy of the bundle, the workflow thread's) though only a stack trace's
 * positions are ever read from it: the map keeps the positions (lines, columns and names: `temporal workflow
 * stack` names every frame), without the sources.
 */
const DEVTOOL = 'inline-nosources-source-map';
const FORMAT = `devtool:${DEVTOOL}`;

export interface WorkflowBundleFiles {
  /** The workflows' entry (index.ts from source, index.js from dist/). */
  workflowsPath: string;
  /** Where the bundle is kept; its manifest sits beside it (`<file>.json`). */
  file: string;
}

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The bundle of the code this process runs: `dist/bundle/workflows.js` from dist/workflows when run from the
 * build, `dist/bundle/workflows.source.js` from src/workflows when run from source (tsx, jest).
 */
export function ownWorkflowBundle(): WorkflowBundleFiles {
  const source = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));
  const fromSource = existsSync(source);
  return {
    workflowsPath: fromSource ? source : fileURLToPath(new URL('./workflows/index.js', import.meta.url)),
    file: path.join(root, 'dist', 'bundle', fromSource ? 'workflows.source.js' : 'workflows.js'),
  };
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

async function sdkVersion(): Promise<string> {
  const entry = createRequire(import.meta.url).resolve('@temporalio/workflow');
  const pkg = JSON.parse(await readFile(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Why the saved bundle cannot be used, or undefined when it can. */
async function staleness(files: WorkflowBundleFiles, manifest: Manifest): Promise<string | undefined> {
  if (manifest.workflowsPath !== path.relative(root, files.workflowsPath)) return 'built from other workflows';
  if (manifest.sdk !== (await sdkVersion())) return `built with SDK ${manifest.sdk}`;
  if (manifest.format !== FORMAT) return `built as ${manifest.format ?? 'the SDK default'}`;
  for (const [file, hash] of Object.entries(manifest.sources)) {
    const now = await readFile(path.join(root, file)).then(sha256, () => 'missing');
    if (now !== hash) return `${file} changed`;
  }
  return undefined;
}

/** Bundles the workflows, noting every project file webpack read. */
async function bundle(files: WorkflowBundleFiles, logger: Logger): Promise<{ code: string; manifest: Manifest }> {
  const read = new Set<string>();
  const { code } = await bundleWorkflowCode({
    workflowsPath: files.workflowsPath,
    logger: quietBundlerLogger(logger),
    webpackConfigHook: (config) => ({
      ...config,
      devtool: DEVTOOL,
      plugins: [
        ...(config.plugins ?? []),
        {
          apply: (compiler) => {
            compiler.hooks.done.tap('supervisor-bundle-manifest', (stats) => {
              for (const file of stats.compilation.fileDependencies) read.add(file);
            });
          },
        },
      ],
    }),
  });
  const sources: Record<string, string> = {};
  for (const file of [...read].sort()) {
    const relative = path.relative(root, file);
    if (relative.split(path.sep).includes('node_modules')) continue;
    // webpack also lists the folders it resolved in, and the SDK's generated entry lives in memory only
    if ((await stat(file).catch(() => undefined))?.isFile() !== true) continue;
    sources[relative] = sha256(await readFile(file));
  }
  return {
    code,
    manifest: {
      workflowsPath: path.relative(root, files.workflowsPath),
      sdk: await sdkVersion(),
      format: FORMAT,
      sources,
    },
  };
}

/** The bundle and its manifest, each written atomically (concurrent builds are fine). */
async function save(files: WorkflowBundleFiles, built: { code: string; manifest: Manifest }): Promise<void> {
  await writeFileAtomic(files.file, built.code);
  await writeJsonAtomic(`${files.file}.json`, built.manifest);
}

/** Bundles the workflows now and saves the bundle (`supervisor bundle`, `npm run build`). */
export async function buildWorkflowBundle(
  files: WorkflowBundleFiles,
  logger: Logger,
): Promise<{ sources: number; bytes: number }> {
  const built = await bundle(files, logger);
  await save(files, built);
  return { sources: Object.keys(built.manifest.sources).length, bytes: Buffer.byteLength(built.code) };
}

/**
 * The saved bundle when it is current, otherwise a new one (saved for the next start). A bundle that
 * cannot be saved (a read-only install) is still used from memory.
 */
export async function loadWorkflowBundle(files: WorkflowBundleFiles, logger: Logger): Promise<{ code: string }> {
  const saved = await Promise.all([readFile(files.file, 'utf8'), readFile(`${files.file}.json`, 'utf8')]).catch(
    () => undefined,
  );
  if (saved !== undefined) {
    const reason = await staleness(files, JSON.parse(saved[1]) as Manifest).catch(
      (error: unknown) => `unreadable manifest (${String(error)})`,
    );
    if (reason === undefined) return { code: saved[0] };
    logger.info({ bundle: files.file, reason }, 'workflow bundle out of date; building it');
  } else {
    logger.info({ bundle: files.file }, 'no workflow bundle yet; building it');
  }
  const built = await bundle(files, logger);
  await save(files, built).catch((error: unknown) =>
    logger.warn({ bundle: files.file, error: String(error) }, 'workflow bundle not saved; using it from memory'),
  );
  return { code: built.code };
}

/** Webpack's report goes to debug: an operator sees one line, not a page; its warnings and errors stay. */
function quietBundlerLogger(logger: Logger): SdkLogger {
  const at =
    (level: 'debug' | 'warn' | 'error') =>
    (message: string, meta?: Record<string, unknown>): void =>
      logger[level](meta ?? {}, message);
  const levels = { TRACE: at('debug'), DEBUG: at('debug'), INFO: at('debug'), WARN: at('warn'), ERROR: at('error') };
  return {
    trace: levels.TRACE,
    debug: levels.DEBUG,
    info: levels.INFO,
    warn: levels.WARN,
    error: levels.ERROR,
    log: (level, message, meta) => levels[level](message, meta),
  };
}
