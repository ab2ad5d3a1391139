import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import type { Logger as PinoLogger } from 'pino';
import { createStream } from 'rotating-file-stream';
import { tolerateClosedConsole } from './console.js';

export type Logger = PinoLogger;

export interface LoggerOptions {
  level: string;
  /** JSON lines go here, rotated by size; absent = console only. */
  file?: string;
  rotationSize?: number;
  keepFiles?: number;
  /** Where console lines go (stderr by default); tests pass their own sink. */
  console?: Sink;
}

/** Fields pino adds to every line; everything else is metadata worth showing on the console. */
const BASE_FIELDS = new Set(['time', 'level', 'msg', 'pid', 'hostname']);

/** `[2026-02-05T14:30:15.234Z] [SUPERVISOR] [INFO] message {"component":"ingest",...}` */
export function formatConsoleLine(record: Record<string, unknown>): string {
  const time = new Date(typeof record.time === 'number' ? record.time : Date.now()).toISOString();
  const label = (pino.levels.labels[Number(record.level)] ?? 'info').toUpperCase();
  const meta = Object.fromEntries(Object.entries(record).filter(([key]) => !BASE_FIELDS.has(key)));
  const suffix = Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : '';
  return `[${time}] [SUPERVISOR] [${label}] ${String(record.msg ?? '')}${suffix}\n`;
}

type Sink = { write(line: string): unknown; destroyed?: boolean; writable?: boolean };

function consoleStream(sink: Sink): { write(chunk: string): void } {
  return {
    write(chunk) {
      if (sink.destroyed === true || sink.writable === false) return;
      try {
        sink.write(formatConsoleLine(JSON.parse(chunk) as Record<string, unknown>));
      } catch {
        // A console that throws on write is as gone as one that emits EPIPE.
      }
    },
  };
}

/**
 * The one root logger: readable lines on the console, JSON lines in the log file rotated at
 * `rotationSize` keeping `keepFiles` old files (`supervisor.log.1` is the newest of those).
 */
export function createLogger(options: LoggerOptions): { logger: Logger; close(): Promise<void> } {
  if (options.console === undefined) tolerateClosedConsole([process.stderr]);
  const streams: pino.StreamEntry[] = [{ level: 'trace', stream: consoleStream(options.console ?? process.stderr) }];
  let file: ReturnType<typeof createStream> | undefined;
  if (options.file !== undefined) {
    mkdirSync(path.dirname(options.file), { recursive: true });
    const base = path.basename(options.file);
    file = createStream(
      (index: number | Date | null) => (typeof index === 'number' && index > 0 ? `${base}.${index}` : base),
      {
        path: path.dirname(options.file),
        size: `${Math.max(1, Math.ceil((options.rotationSize ?? 10_000_000) / 1024))}K`,
        rotate: options.keepFiles ?? 5,
      },
    );
    streams.push({ level: 'trace', stream: file });
  }
  const logger = pino(
    { level: options.level, base: undefined, timestamp: pino.stdTimeFunctions.epochTime },
    pino.multistream(streams),
  );
  const stream = file;
  return {
    logger,
    close: () => (stream ? new Promise<void>((resolve) => stream.end(() => resolve())) : Promise.resolve()),
  };
}
