/**
 * ScheduleSpec compilation and next-time search, after the real server's spec.go: cron strings and
 * CalendarSpecs are canonicalised into StructuredCalendarSpecs (+ intervals, + time zone), validated, and
 * searched at one-second resolution; start/end time bound the result, excludes skip matches, jitter is a
 * deterministic hash of the nominal time and a per-schedule seed.
 */
import type { L, pb } from '../wire/proto.js';
import { durationMs, msDuration, msFromTs } from '../wire/proto.js';
import type { Range, StructuredCalendar } from './calendar.js';
import { MAX_YEAR, MIN_YEAR, calendarToStructured, parseCron } from './calendar.js';
import { compileCalendar } from './calendar-match.js';
import type { CompiledCalendar } from './calendar-match.js';
import { loadZone } from './tz.js';
import { fingerprint32, goTimeBinary } from './farmhash.js';

/** Upper bound on excluded candidates examined per search. */
const MAX_ITERATIONS = 100_000;

export type ScheduleSpec = L<pb.api.schedule.v1.IScheduleSpec>;
type ProtoCalendar = L<pb.api.schedule.v1.IStructuredCalendarSpec>;

export interface NextTime {
  /** Matching time before jitter (ms). */
  nominal: number;
  /** Matching time with jitter (ms). */
  next: number;
}

export interface CompiledSpec {
  /** The canonical spec: what Describe returns. */
  readonly canonical: ScheduleSpec;
  /** Earliest time after `afterMs` (ms) that matches, or null when none does. */
  getNextTime(seed: string, afterMs: number): NextTime | null;
}

function toStructured(c: ProtoCalendar): StructuredCalendar {
  const ranges = (rs: L<pb.api.schedule.v1.IRange>[] | null | undefined): Range[] =>
    (rs ?? []).map((r) => ({ start: r.start ?? 0, end: r.end ?? 0, step: r.step ?? 0 }));
  return {
    second: ranges(c.second),
    minute: ranges(c.minute),
    hour: ranges(c.hour),
    dayOfMonth: ranges(c.dayOfMonth),
    month: ranges(c.month),
    year: ranges(c.year),
    dayOfWeek: ranges(c.dayOfWeek),
    comment: c.comment ?? '',
  };
}

function validateCalendar(c: StructuredCalendar): void {
  const errs: string[] = [];
  const check = (ranges: Range[], field: string, min: number, max: number): void => {
    for (const r of ranges) {
      if (r.start < min || r.start > max) errs.push(`${field} Start is not in range [${min}-${max}]`);
      if (r.end !== 0 && (r.end < r.start || r.end > max))
        errs.push(`${field} End is before Start or not in range [${min}-${max}]`);
      if (r.step < 0) errs.push(`${field} has invalid Step`);
    }
  };
  check(c.second, 'Second', 0, 59);
  check(c.minute, 'Minute', 0, 59);
  check(c.hour, 'Hour', 0, 23);
  check(c.dayOfMonth, 'DayOfMonth', 1, 31);
  check(c.month, 'Month', 1, 12);
  check(c.year, 'Year', MIN_YEAR, MAX_YEAR);
  check(c.dayOfWeek, 'DayOfWeek', 0, 6);
  if (c.comment.length > 200) errs.push('comment is too long');
  if (errs.length > 0) throw new Error(`invalid calendar spec: ${errs.join(', ')}`);
}

function validateInterval(intervalMs: number, phaseMs: number): void {
  if (intervalMs < 1000) throw new Error('interval is too small');
  if (phaseMs < 0) throw new Error('phase is negative');
  if (phaseMs >= intervalMs) throw new Error('phase cannot be greater than Interval');
}

/** Canonicalises and compiles; throws Error with the real server's message when the spec is invalid. */
export function compileSpec(spec: ScheduleSpec): CompiledSpec {
  const structured = (spec.structuredCalendar ?? []).map(toStructured);
  const excludes = (spec.excludeStructuredCalendar ?? []).map(toStructured);
  for (const c of spec.calendar ?? []) structured.push(calendarToStructured(c));
  for (const c of spec.excludeCalendar ?? []) excludes.push(calendarToStructured(c));
  const intervals = (spec.interval ?? []).map((iv) => ({
    intervalMs: durationMs(iv.interval),
    phaseMs: durationMs(iv.phase),
  }));
  let cronTz: string | null = null;
  for (const cron of spec.cronString ?? []) {
    const parsed = parseCron(cron);
    // All cron strings must agree on the zone, whether given or not.
    if (cronTz !== null && parsed.tz !== cronTz) throw new Error('conflicting timezone names');
    cronTz = parsed.tz;
    if (parsed.calendar) structured.push(parsed.calendar);
    if (parsed.every) intervals.push(parsed.every);
  }
  let timezoneName = spec.timezoneName ?? '';
  if (cronTz) {
    if ((timezoneName !== '' && timezoneName !== cronTz) || (spec.timezoneData && spec.timezoneData.length > 0)) {
      throw new Error('conflicting timezone names');
    }
    timezoneName = cronTz;
  }
  for (const c of structured) validateCalendar(c);
  for (const iv of intervals) validateInterval(iv.intervalMs, iv.phaseMs);
  const zone = loadZone(timezoneName);
  const cals = structured.map((c) => compileCalendar(c, zone));
  const excl = excludes.map((c) => compileCalendar(c, zone));
  const startMs = spec.startTime ? msFromTs(spec.startTime) : null;
  const endMs = spec.endTime ? msFromTs(spec.endTime) : null;
  const jitterMs = durationMs(spec.jitter);
  const canonical: ScheduleSpec = {
    structuredCalendar: structured.map(toProto),
    excludeStructuredCalendar: excludes.map(toProto),
    interval: intervals.map((iv) => ({
      interval: msDuration(iv.intervalMs),
      phase: iv.phaseMs > 0 ? msDuration(iv.phaseMs) : null,
    })),
    startTime: spec.startTime ?? null,
    endTime: spec.endTime ?? null,
    jitter: spec.jitter ?? null,
    timezoneName,
    timezoneData: spec.timezoneData ?? null,
  };
  const raw = (afterSec: number): number | null => rawNextTime(cals, intervals, afterSec);
  return {
    canonical,
    getNextTime(seed, afterMs) {
      let after = afterMs;
      // Before the allowed range: jump to just before it, so its first second can still match.
      if (startMs !== null && after < startMs) after = startMs - 1000;
      let nominal: number | null = null;
      let iterations = 0;
      while (nominal === null || excl.some((x) => x.matches(nominal as number))) {
        // An over-excluded spec would search to the year 2100 a second at a time: stop, as the server's
        // compute limit does, and take no further action.
        if (++iterations > MAX_ITERATIONS) return null;
        nominal = raw(Math.floor(after / 1000));
        if (nominal === null || (endMs !== null && nominal * 1000 > endMs)) return null;
        after = nominal * 1000;
      }
      // Jitter never pushes a time past the following nominal time.
      let maxJitter = jitterMs;
      const following = raw(nominal);
      if (following !== null) maxJitter = Math.min(maxJitter, (following - nominal) * 1000);
      return { nominal: nominal * 1000, next: nominal * 1000 + jitterOffset(seed, nominal, maxJitter) };
    },
  };
}

function rawNextTime(
  cals: CompiledCalendar[],
  intervals: { intervalMs: number; phaseMs: number }[],
  ts: number,
): number | null {
  let min = Number.POSITIVE_INFINITY;
  for (const cal of cals) {
    const n = cal.next(ts);
    if (n !== null && n < min) min = n;
  }
  for (const iv of intervals) {
    const interval = Math.max(1, Math.floor(iv.intervalMs / 1000));
    const phase = Math.max(0, Math.floor(iv.phaseMs / 1000));
    // Go's integer division truncates toward zero; times here are after 1970 so floor is the same.
    const n = (Math.trunc((ts - phase) / interval) + 1) * interval + phase;
    if (n < min) min = n;
  }
  return Number.isFinite(min) ? min : null;
}

/**
 * Deterministic jitter in [0, maxJitterMs), as the server computes it: farmhash Fingerprint32 of Go's binary
 * encoding of the nominal time followed by the seed, scaled into the range in milliseconds.
 */
function jitterOffset(seed: string, nominalSec: number, maxJitterMs: number): number {
  if (maxJitterMs <= 0) return 0;
  const time = goTimeBinary(nominalSec * 1000);
  const seedBytes = Buffer.from(seed, 'utf8');
  const bin = new Uint8Array(time.length + seedBytes.length);
  bin.set(time);
  bin.set(seedBytes, time.length);
  const ms = Math.min(Math.floor(maxJitterMs), 0xffffffff);
  return Number((BigInt(fingerprint32(bin)) * BigInt(ms)) >> 32n);
}

function toProto(c: StructuredCalendar): ProtoCalendar {
  return {
    second: c.second,
    minute: c.minute,
    hour: c.hour,
    dayOfMonth: c.dayOfMonth,
    month: c.month,
    year: c.year,
    dayOfWeek: c.dayOfWeek,
    comment: c.comment,
  };
}

/** The server's CleanSpec for Describe: ranges spelled out with End >= Start and Step >= 1. */
export function cleanSpec(spec: ScheduleSpec): ScheduleSpec {
  const clean = (rs: L<pb.api.schedule.v1.IRange>[] | null | undefined): Range[] =>
    (rs ?? []).map((r) => ({ start: r.start ?? 0, end: Math.max(r.end ?? 0, r.start ?? 0), step: r.step || 1 }));
  const cal = (c: ProtoCalendar): ProtoCalendar => ({
    ...c,
    second: clean(c.second),
    minute: clean(c.minute),
    hour: clean(c.hour),
    dayOfMonth: clean(c.dayOfMonth),
    month: clean(c.month),
    year: clean(c.year),
    dayOfWeek: clean(c.dayOfWeek),
  });
  return {
    ...spec,
    structuredCalendar: (spec.structuredCalendar ?? []).map(cal),
    excludeStructuredCalendar: (spec.excludeStructuredCalendar ?? []).map(cal),
  };
}
