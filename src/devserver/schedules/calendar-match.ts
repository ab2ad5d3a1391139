/**
 * Compiled StructuredCalendarSpecs (the server's compiledCalendar): per-field matchers searched from the
 * outside in (year, month, day, hour, minute, second) in the schedule's time zone, one-second resolution,
 * with the server's handling of DST gaps and repeated hours.
 */
import type { Zone } from './tz.js';
import type { Range, StructuredCalendar } from './calendar.js';
import { MAX_YEAR } from './calendar.js';

function matcher(ranges: Range[], dow = false): (v: number) => boolean {
  const set = new Set<number>();
  for (const r of ranges) {
    const step = r.step || 1;
    const end = Math.max(r.end, r.start);
    for (let v = r.start; v <= end; v += step) set.add(v);
  }
  // 7 means Sunday too.
  if (dow && set.has(7)) set.add(0);
  return (v) => set.has(v);
}

export function daysInMonth(mo: number, y: number): number {
  if (mo === 2) return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(mo) ? 30 : 31;
}

export interface CompiledCalendar {
  matches(sec: number): boolean;
  /** Earliest matching second strictly after `sec`, or null (none up to MAX_YEAR). */
  next(sec: number): number | null;
}

export function compileCalendar(cal: StructuredCalendar, zone: Zone): CompiledCalendar {
  const years = matcher(cal.year);
  const year = cal.year.length === 0 ? (): boolean => true : years;
  const month = matcher(cal.month);
  const dom = matcher(cal.dayOfMonth);
  const dow = matcher(cal.dayOfWeek, true);
  const hour = matcher(cal.hour);
  const minute = matcher(cal.minute);
  const second = matcher(cal.second);
  const weekday = (y: number, mo: number, d: number): number => new Date(Date.UTC(y, mo - 1, d)).getUTCDay();
  return {
    matches(sec) {
      const f = zone.fields(sec);
      return year(f.y) && month(f.mo) && dom(f.d) && dow(f.dow) && hour(f.h) && minute(f.m) && second(f.s);
    },
    next(sec) {
      let { y, mo, d, h, m, s } = zone.fields(sec);
      // In the second copy of a repeated (DST) hour, results are an hour later than their wall time says.
      let dstOffset = zone.fields(sec - 3600).h === h ? 3600 : 0;
      s++;
      outer: for (;;) {
        if (s >= 60) [m, s] = [m + 1, 0];
        if (m >= 60) {
          const prev = zone.toEpoch(y, mo, d, h, 0, 0);
          [h, m] = [h + 1, 0];
          const nextHour = zone.toEpoch(y, mo, d, h, 0, 0);
          // Two hours later means we just skipped a repeated hour: try it again with the offset.
          if (dstOffset === 0 && nextHour - prev > 3600) [h, dstOffset] = [h - 1, 3600];
          else dstOffset = 0;
        }
        if (h >= 24) [d, h] = [d + 1, 0];
        if (d > daysInMonth(mo, y)) [mo, d] = [mo + 1, 1];
        if (mo > 12) [y, mo] = [y + 1, 1];
        if (y > MAX_YEAR) return null;
        if (!year(y)) {
          [y, mo, d, h, m, s, dstOffset] = [y + 1, 1, 1, 0, 0, 0, 0];
          continue;
        }
        while (!month(mo)) {
          [mo, d, h, m, s, dstOffset] = [mo + 1, 1, 0, 0, 0, 0];
          if (mo > 12) continue outer;
        }
        while (!dom(d) || !dow(weekday(y, mo, d))) {
          [d, h, m, s, dstOffset] = [d + 1, 0, 0, 0, 0];
          if (d > daysInMonth(mo, y)) continue outer;
        }
        while (!hour(h)) {
          [h, m, s, dstOffset] = [h + 1, 0, 0, 0];
          if (h >= 24) continue outer;
        }
        while (!minute(m)) {
          [m, s] = [m + 1, 0];
          if (m >= 60) continue outer;
        }
        while (!second(s)) {
          s++;
          if (s >= 60) continue outer;
        }
        const ts = zone.toEpoch(y, mo, d, h, m, s);
        // A wall time skipped by a DST jump lands in another hour: move on to the next hour.
        if (zone.fields(ts).h !== h) {
          [h, m, s] = [h + 1, 0, 0];
          continue;
        }
        return ts + dstOffset;
      }
    },
  };
}
