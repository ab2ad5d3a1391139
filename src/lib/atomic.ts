import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** fsync of a folder is refused on some platforms and network shares; the rename is done anyway. */
const DIR_FSYNC_UNSUPPORTED = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EACCES', 'ENOTSUP', 'EBADF']);

export async function fsyncFolder(folder: string): Promise<void> {
  let handle;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch (error) {
    if (!DIR_FSYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes `text` so readers see the old file or the new one, never half of one, and a power cut
 * after return keeps the new one: temp file in the same folder (same file system, so rename is
 * atomic), fsync, rename, fsync the folder. The temp name is dot-prefixed so the ingest ignores it.
 * `syncFolder` replaces the folder's fsync (the ingest shares one among the receipts it writes at once).
 */
export async function writeFileAtomic(
  file: string,
  text: string,
  syncFolder: (folder: string) => Promise<void> = fsyncFolder,
): Promise<void> {
  const folder = path.dirname(file);
  const temp = path.join(folder, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await openCreating(temp);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncFolder(folder);
}

/** Opens a new file, making its folder only when it is missing (not a mkdir before every write). */
async function openCreating(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(path.dirname(file), { recursive: true });
  return await open(file, 'wx');
}

export async function writeJsonAtomic(
  file: string,
  value: unknown,
  syncFolder?: (folder: string) => Promise<void>,
): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, syncFolder);
}

/** The file's text, or undefined when it does not exist; any other error throws. */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The parsed file, or undefined when it does not exist. A corrupt file throws. */
export async function readJsonIfExists<T>(file: string): Promise<T | undefined> {
  const text = await readTextIfExists(file);
  return text === undefined ? undefined : (JSON.parse(text) as T);
}
