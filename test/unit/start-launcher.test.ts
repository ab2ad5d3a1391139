/**
 * scripts/supervisor.mjs (`npm start`): runs dist/ only when it was compiled from the src/ on disk, else the
 * source through tsx. A copy of the launcher in a temp project whose dist/ and src/ say which one ran.
 */
import { copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { root } from '../helpers/dist.js';
import { useTempDir } from '../helpers/tmp.js';

const dir = useTempDir('start-launcher-');

async function project(): Promise<string> {
  const at = dir();
  await mkdir(path.join(at, 'scripts'));
  for (const file of ['supervisor.mjs', 'build-state.mjs'])
    await copyFile(path.join(root, 'scripts', file), path.join(at, 'scripts', file));
  for (const file of ['tsconfig.json', 'tsconfig.build.json'])
    await copyFile(path.join(root, file), path.join(at, file));
  await symlink(path.join(root, 'node_modules'), path.join(at, 'node_modules'));
  await writeFile(path.join(at, 'package.json'), '{ "type": "module" }\n');
  await mkdir(path.join(at, 'src', 'cli'), { recursive: true });
  await writeFile(path.join(at, 'src', 'cli', 'word.ts'), "export const word: string = 'source';\n");
  await writeFile(
    path.join(at, 'src', 'cli', 'main.ts'),
    "import { word } from './word.js';\nprocess.stdout.write(`${word} ${process.argv.slice(2).join(' ')}\\n`);\n",
  );
  await mkdir(path.join(at, 'dist', 'cli'), { recursive: true });
  await writeFile(
    path.join(at, 'dist', 'cli', 'main.js'),
    "process.stdout.write(`dist ${process.argv.slice(2).join(' ')}\\n`);\n",
  );
  return at;
}

/** What `npm run build` records once tsc succeeded. */
async function recordBuild(at: string): Promise<void> {
  const module = path.join(at, 'scripts', 'build-state.mjs');
  await execa(process.execPath, [
    '--input-type=module',
    '-e',
    `const m = await import(${JSON.stringify(module)}); m.writeSourceManifest(${JSON.stringify(at)}, m.sourceHashes(${JSON.stringify(at)}));`,
  ]);
}

const launch = (at: string) =>
  execa(process.execPath, [path.join(at, 'scripts', 'supervisor.mjs'), 'start', '--flag'], { cwd: at });

describe('npm start launcher (scripts/supervisor.mjs)', () => {
  it('runs dist/ with the arguments when it was built from the src/ on disk', async () => {
    const at = await project();
    await recordBuild(at);
    const { stdout, stderr } = await launch(at);
    expect(stdout).toBe('dist start --flag');
    expect(stderr).toBe('');
  });

  it('runs the source, naming why, when a source file changed since the build, and dist/ again once it matches', async () => {
    const at = await project();
    await recordBuild(at);
    const word = path.join(at, 'src', 'cli', 'word.ts');
    await writeFile(word, "export const word: string = 'edited';\n");
    const edited = await launch(at);
    expect(edited.stdout).toBe('edited start --flag');
    expect(edited.stderr).toContain('running from source (src/cli/word.ts changed since the build)');
    // The same bytes as at build time: a touched or re-checked-out file is not a change.
    await writeFile(word, "export const word: string = 'source';\n");
    expect((await launch(at)).stdout).toBe('dist start --flag');
  });

  it('runs the source when a file was added or removed, or no build was recorded', async () => {
    const at = await project();
    await recordBuild(at);
    await writeFile(path.join(at, 'src', 'cli', 'extra.ts'), 'export {};\n');
    expect((await launch(at)).stderr).toContain('src/cli/extra.ts is new since the build');
    await recordBuild(at);
    await rm(path.join(at, 'src', 'cli', 'extra.ts'));
    expect((await launch(at)).stderr).toContain('src/cli/extra.ts was removed since the build');
    await rm(path.join(at, 'dist', 'source-manifest.json'));
    const unbuilt = await launch(at);
    expect(unbuilt.stdout).toBe('source start --flag');
    expect(unbuilt.stderr).toContain('dist/source-manifest.json is missing');
  });
});
