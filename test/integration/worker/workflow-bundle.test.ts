/**
 * The saved workflow bundle: reused while every file it was built from is unchanged, rebuilt as soon as one
 * changes (an edited workflow never runs from a stale bundle), and the bundler's page of output kept at debug.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import { loadWorkflowBundle } from '../../../src/workflow-bundle.js';

/** A logger that keeps its records, to see what a start printed. */
function recordingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) },
  );
  const infoAndAbove = () => lines.filter((line) => line.level >= 30).map((line) => line.msg);
  return { logger, infoAndAbove, debugLines: () => lines.filter((line) => line.level === 20).length };
}

describe('workflow bundle', () => {
  // Inside the checkout (var/ is ignored by git): workflow code must resolve @temporalio/workflow from node_modules.
  let root = '';
  const dir = () => root;
  beforeAll(async () => {
    const varDir = fileURLToPath(new URL('../../../var', import.meta.url));
    await mkdir(varDir, { recursive: true });
    root = await mkdtemp(path.join(varDir, 'test-bundle-'));
  });
  afterAll(async () => await rm(root, { recursive: true, force: true }));

  it('is built once, reused while its sources are unchanged and rebuilt when one changes', async () => {
    const workflowsPath = path.join(dir(), 'workflows', 'index.ts');
    await writeFile(path.join(dir(), 'greeting.ts'), "export const greeting = 'first-version';\n");
    await mkdir(path.dirname(workflowsPath));
    await writeFile(
      workflowsPath,
      "import { greeting } from '../greeting.js';\nexport async function greet(): Promise<string> { return greeting; }\n",
    );
    const files = { workflowsPath, file: path.join(dir(), 'bundle', 'workflows.js') };

    const first = recordingLogger();
    const built = await loadWorkflowBundle(files, first.logger);
    expect(built.code).toContain('first-version');
    expect(first.infoAndAbove()).toEqual(['no workflow bundle yet; building it']);
    expect(first.debugLines()).toBeGreaterThan(0);
    const manifest = JSON.parse(await readFile(`${files.file}.json`, 'utf8')) as { sources: Record<string, string> };
    const sources = Object.keys(manifest.sources).map((file) => path.relative(dir(), path.resolve(file)));
    expect(sources).toEqual(expect.arrayContaining(['greeting.ts', path.join('workflows', 'index.ts')]));

    const second = recordingLogger();
    expect((await loadWorkflowBundle(files, second.logger)).code).toBe(built.code);
    expect(second.infoAndAbove()).toEqual([]);

    await writeFile(path.join(dir(), 'greeting.ts'), "export const greeting = 'second-version';\n");
    const third = recordingLogger();
    const rebuilt = await loadWorkflowBundle(files, third.logger);
    expect(rebuilt.code).toContain('second-version');
    expect(rebuilt.code).not.toContain('first-version');
    expect(third.infoAndAbove()).toEqual(['workflow bundle out of date; building it']);
    expect(await readFile(files.file, 'utf8')).toBe(rebuilt.code);
  }, 120_000);
});
