import path from 'node:path';
import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import { isIgnoredName } from '../flags/index.js';
import type { Logger } from '../observability/logger.js';

export interface InboxWatcher {
  /** 'native' or 'polling': what is actually in use (polling after a native failure too). */
  readonly mode: () => 'native' | 'polling';
  close(): Promise<void>;
}

export interface WatchOptions {
  inbox: string;
  polling: boolean;
  pollInterval: number;
  logger: Logger;
  /** Called for every add/change of a name the ingest may care about; the caller rescans. */
  onChange: (name: string) => void;
}

/**
 * chokidar on the inbox, top level only. The events only say "look again": the ingest's pass lists and
 * checks the folder itself, so a missed or duplicated event costs nothing but latency. Native watching
 * that fails (inotify limits, a share without notifications) falls back to polling for good.
 */
export function watchInbox(options: WatchOptions): InboxWatcher {
  let mode: 'native' | 'polling' = options.polling ? 'polling' : 'native';
  let current: FSWatcher | undefined;
  let closed = false;

  const open = (polling: boolean): FSWatcher => {
    const watcher = watch(options.inbox, {
      persistent: true,
      ignoreInitial: true,
      depth: 0,
      usePolling: polling,
      interval: options.pollInterval,
      binaryInterval: options.pollInterval,
      // The inbox itself must not be ignored; below it only names a flag could have are watched.
      ignored: (file: string) =>
        file !== options.inbox && path.dirname(file) === options.inbox && isIgnoredName(path.basename(file)),
    });
    const notify = (file: string): void => options.onChange(path.basename(file));
    // addDir: a folder named like a flag is moved aside, not left to block the name until the next rescan.
    watcher.on('add', notify).on('addDir', notify).on('change', notify);
    watcher.on('error', (error: unknown) => {
      if (closed) return;
      if (mode === 'native') {
        mode = 'polling';
        options.logger.warn(
          { inbox: options.inbox, error: String(error), interval_ms: options.pollInterval },
          'native inbox watching failed; polling instead',
        );
        void watcher.close().catch(() => undefined);
        current = open(true);
      } else {
        options.logger.warn(
          { inbox: options.inbox, error: String(error) },
          'inbox polling reported an error; the periodic rescan still runs',
        );
      }
    });
    return watcher;
  };

  current = open(options.polling);
  return {
    mode: () => mode,
    async close() {
      closed = true;
      await current?.close();
    },
  };
}
