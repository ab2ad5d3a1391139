// Loader hooks of record-imports.mjs (they run on the loader's own thread, hence a synchronous append).
import { appendFileSync } from 'node:fs';
import process from 'node:process';

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  const file = process.env.RECORD_IMPORTS_FILE;
  if (file !== undefined && resolved.url.startsWith('file:')) appendFileSync(file, `${resolved.url}\n`);
  return resolved;
}
