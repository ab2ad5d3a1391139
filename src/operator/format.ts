/** How `supervisor tasks` and `supervisor logs` write durations and timeline steps. */
import type { TimelineEntry } from './timeline.js';

export function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
  return `${Math.floor(ms / 3_600_000)}h${Math.round((ms % 3_600_000) / 60_000)}m`;
}

/**
 * Columns padded to their widest cell, two spaces apart; the last column (an outcome, a summary) unpadded.
 * `rows` are [cells, last] pairs.
 */
export function formatTable(header: readonly string[], last: string, rows: readonly [string[], string][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map(([cells]) => (cells[i] ?? '').length)));
  const line = (cells: readonly string[], tail: string): string =>
    `${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}  ${tail}`.trimEnd();
  return `${[line(header, last), ...rows.map(([cells, tail]) => line(cells, tail))].join('\n')}\n`;
}

/** One line per entry: `+1.2s  installDependencies   failed   30ms  attempt 1  DepsInstallFailed: …`. */
export function formatEntry(entry: TimelineEntry): string {
  const offset = `+${formatDuration(entry.offsetMs)}`.padEnd(9);
  const name = `${entry.compensation ? 'undo: ' : ''}${entry.name}`.padEnd(32);
  const parts = [offset, name, entry.outcome.padEnd(10)];
  if (entry.durationMs !== null) parts.push(formatDuration(entry.durationMs).padEnd(7));
  if (entry.attempt !== null && entry.attempt > 1) parts.push(`attempt ${entry.attempt}`);
  if (entry.error !== null) parts.push(entry.error);
  return parts.join(' ').trimEnd();
}
