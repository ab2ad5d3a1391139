import { createReadStream, existsSync, watchFile, unwatchFile } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { eventsFileOf } from '../../nas/paths.js';
import { configFor } from '../common.js';

/** Prints the lines of `file` from byte `from` on that pass `keep`; returns where it stopped. */
async function printFrom(file: string, from: number, keep: (line: string) => boolean): Promise<number> {
  const { size } = await stat(file);
  if (size <= from) return size < from ? 0 : from; // a smaller file was rotated or truncated: start over
  let rest = '';
  for await (const chunk of createReadStream(file, { start: from, end: size - 1, encoding: 'utf8' })) {
    const lines = (rest + String(chunk)).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line !== '' && keep(line)) process.stdout.write(`${line}\n`);
  }
  // A partial last line is read again next time, whole.
  return size - Buffer.byteLength(rest);
}

/** `supervisor events [-f]`: prints the stream, then (with --follow) what is appended, until interrupted. */
export async function runEvents(options: { type?: string[]; follow?: boolean }, command: Command): Promise<void> {
  const { config } = await configFor(command);
  const file = eventsFileOf(config.paths);
  const types = options.type === undefined ? undefined : new Set(options.type);
  const keep = (line: string): boolean =>
    types === undefined || types.has((JSON.parse(line) as { type?: string }).type ?? '');
  let offset = existsSync(file) ? await printFrom(file, 0, keep) : 0;
  if (!options.follow) return;
  await new Promise<void>((resolve) => {
    watchFile(file, { interval: 500 }, () => {
      void printFrom(file, offset, keep).then(
        (next) => (offset = next),
        () => undefined,
      );
    });
    const stop = (): void => {
      unwatchFile(file);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // `supervisor events -f | head -1`: once the reader is gone there is no one to follow for.
    process.stdout.once('error', stop);
  });
}
