import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './schema.js';

/** Creates the NAS folders and the parents of every file the supervisor writes; returns what it ensured. */
export function prepareFolders(config: Config): string[] {
  const folders = new Set([
    ...Object.values(config.paths),
    path.dirname(config.watcher.log_file),
    path.dirname(config.watcher.heartbeat_file),
    path.dirname(config.logging.file),
  ]);
  for (const folder of folders) mkdirSync(folder, { recursive: true });
  return [...folders];
}
