/** Kept apart from the logger so the CLI guards its console before loading pino (`supervisor --help | head`). */

const guarded = new WeakSet<NodeJS.WritableStream>();

/**
 * A closed console must never stop the supervisor or cut its shutdown short: when the reader of
 * `supervisor start 2>&1 | tee log` goes away (Ctrl-C reaches tee too), every write fails with EPIPE,
 * emitted as an 'error' event that is fatal without a listener. The console is then given up; the
 * log file keeps every line. Idempotent; the CLI calls it first thing, createLogger for its sink.
 */
export function tolerateClosedConsole(
  streams: readonly NodeJS.WritableStream[] = [process.stdout, process.stderr],
): void {
  for (const stream of streams) {
    if (guarded.has(stream)) continue;
    guarded.add(stream);
    stream.on('error', () => {
      // Nothing to report it to: the console is the thing that broke.
    });
  }
}
