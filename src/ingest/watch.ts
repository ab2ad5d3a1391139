import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
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
  /** Called for every event on a name the ingest may care about ('' when the platform gave no name); the caller rescans. */
  onChange: (name: string) => void;
}

/**
 * The inbox, top level only. The events only say "look again": the ingest's pass lists and checks the
 * folder itself, so a missed or duplicated event costs nothing but latency.
 *
 * Native: one inotify (fs.watch) watch on the folder, which names the entry that was renamed in or changed.
 * chokidar was used before: it answered every event by listing and lstat-ing the whole folder and put a
 * watch on every file, which made a burst of 1,000 flags quadratic (issue 16).
 *
 * Polling: a look every poll interval, which is the pass itself (its listing is the look, and its stability
 * check in scan.ts needs two of them), so nothing but a timer is needed. Native watching that fails
 * (inotify limits, a share without notifications that says so) falls back to polling for good.
 */
export function watchInbox(options: WatchOptions): InboxWatcher {
  let mode: 'native' | 'polling' = options.polling ? 'polling' : 'native';
  let native: FSWatcher | undefined;
  let poller: NodeJS.Timeout | undefined;
  let closed = false;

  const poll = (): void => {
    poller = setInterval(() => options.onChange(''), options.pollInterval);
  };
  const fallBack = (error: unknown): void => {
    if (closed || mode === 'polling') return;
    mode = 'polling';
    options.logger.warn(
      { inbox: options.inbox, error: String(error), interval_ms: options.pollInterval },
      'native inbox watching failed; polling instead',
    );
    native?.close();
    native = undefined;
    poll();
  };

  if (mode === 'polling') poll();
  else {
    try {
      native = watch(options.inbox, { persistent: true }, (_event, name) => {
        // A dot-prefixed temp file being written is many events and never a flag: no pass for those.
        if (name === null || !isIgnoredName(name)) options.onChange(name ?? '');
      });
      native.on('error', fallBack);
    } catch (error) {
      // ENOSPC (inotify watches used up), EMFILE, a file system that refuses: thrown at once, not emitted.
      fallBack(error);
    }
  }
  return {
    mode: () => mode,
    close() {
      closed = true;
      native?.close();
      clearInterval(poller);
      return Promise.resolve();
    },
  };
}
