/**
 * Calendar specs as the real server (service/worker/scheduler/calendar.go) reads them: CalendarSpec strings
 * and cron strings become StructuredCalendarSpecs (compiled in calendar-match.ts), with its error messages.
 */
export interface Range {
  start: number;
  end: number;
  step: number;
}

export interface StructuredCalendar {
  second: Range[];
  minute: Range[];
  hour: Range[];
  dayOfMonth: Range[];
  month: Range[];
  year: Range[];
  dayOfWeek: Range[];
  comment: string;
}

export interface CalendarStrings {
  second?: string | null;
  minute?: string | null;
  hour?: string | null;
  dayOfMonth?: string | null;
  month?: string | null;
  year?: string | null;
  dayOfWeek?: string | null;
  comment?: string | null;
}

export const MIN_YEAR = 2000;
export const MAX_YEAR = 2100;

type Mode = 'int' | 'month' | 'dow';
const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const DOWS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const OUT_OF_RANGE = 'out of range';

/** strconv.Atoi, with its error text. */
function atoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  return Number(s);
}

function parseValue(raw: string, min: number, max: number, mode: Mode): number {
  const names = mode === 'month' ? MONTHS : mode === 'dow' ? DOWS : null;
  if (names && raw.length >= (mode === 'month' ? 3 : 2)) {
    const s = raw.toLowerCase();
    const idx = names.findIndex((n) => n.startsWith(s));
    if (idx >= 0) {
      const v = mode === 'month' ? idx + 1 : idx;
      if (v < min || v > max) throw new Error(OUT_OF_RANGE);
      return v;
    }
  }
  const v = atoi(raw);
  if (v < min || v > max) throw new Error(OUT_OF_RANGE);
  return v;
}

/** One CalendarSpec field: "*", "x", "x-z", "x-z/y", "x/y", comma lists, names for months and weekdays. */
export function makeRange(
  field: string | null | undefined,
  name: string,
  def: string,
  min: number,
  max: number,
  mode: Mode | 'year',
): Range[] {
  let s = (field ?? '').trim();
  if (s === '') s = def;
  // All years is an empty list.
  if (s === '*' && mode === 'year') return [];
  const out: Range[] = [];
  for (let part of s.split(',')) {
    let step = 1;
    let hasStep = false;
    if (part.includes('/')) {
      const pieces = part.split('/');
      if (pieces.length !== 2) throw new Error(`${name} has too many slashes`);
      part = pieces[0] ?? '';
      step = atoi(pieces[1] ?? '');
      if (step < 1) throw new Error(`${name} has invalid Step`);
      hasStep = true;
    }
    let start = min;
    let end = max;
    const valueMode: Mode = mode === 'year' ? 'int' : mode;
    if (part !== '*') {
      if (part.includes('-')) {
        const pieces = part.split('-');
        if (pieces.length !== 2) throw new Error(`${name} has too many dashes`);
        start = orFail(
          () => parseValue(pieces[0] ?? '', min, max, valueMode),
          `${name} Start is not in range [${min}-${max}]`,
        );
        end = orFail(
          () => parseValue(pieces[1] ?? '', start, max, valueMode),
          `${name} End is before Start or not in range [${min}-${max}]`,
        );
      } else {
        start = orFail(() => parseValue(part, min, max, valueMode), `${name} is not in range [${min}-${max}]`);
        // With a step, a single value runs to the end of the field; without, it is just itself.
        if (!hasStep) end = start;
      }
    }
    // Sunday may be written 7: turn it into 0, adding a separate 0 range when one range cannot say it.
    if (mode === 'dow' && end === 7) {
      if ((7 - start) % step === 0 && (step > 1 || (step === 1 && start > 1))) {
        out.push({ start: 0, end: 0, step: 0 });
        if (start === 7) continue;
      }
      end = 6;
    }
    out.push({ start, end: start === end ? 0 : end, step: step === 1 ? 0 : step });
  }
  return out;
}

function orFail<T>(fn: () => T, message: string): T {
  try {
    return fn();
  } catch {
    throw new Error(message);
  }
}

export function calendarToStructured(cal: CalendarStrings): StructuredCalendar {
  const errs: string[] = [];
  const field = (
    s: string | null | undefined,
    name: string,
    def: string,
    min: number,
    max: number,
    mode: Mode | 'year',
  ): Range[] => {
    try {
      return makeRange(s, name, def, min, max, mode);
    } catch (err) {
      errs.push(err instanceof Error ? err.message : String(err));
      return [];
    }
  };
  const out: StructuredCalendar = {
    second: field(cal.second, 'Second', '0', 0, 59, 'int'),
    minute: field(cal.minute, 'Minute', '0', 0, 59, 'int'),
    hour: field(cal.hour, 'Hour', '0', 0, 23, 'int'),
    dayOfWeek: field(cal.dayOfWeek, 'DayOfWeek', '*', 0, 7, 'dow'),
    dayOfMonth: field(cal.dayOfMonth, 'DayOfMonth', '*', 1, 31, 'int'),
    month: field(cal.month, 'Month', '*', 1, 12, 'month'),
    year: field(cal.year, 'Year', '*', MIN_YEAR, MAX_YEAR, 'year'),
    comment: cal.comment ?? '',
  };
  if (errs.length > 0) throw new Error(errs.join(', '));
  return out;
}

const PREDEFINED: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export interface ParsedCron {
  calendar?: StructuredCalendar;
  every?: { intervalMs: number; phaseMs: number };
  /** From a TZ= / CRON_TZ= prefix; '' when absent. */
  tz: string;
}

/** Cron strings the real server accepts: 5, 6 (+year) or 7 (seconds first) fields, @every, @daily…, TZ= prefix. */
export function parseCron(cron: string): ParsedCron {
  let c = cron.trim();
  let tz = '';
  if (c.startsWith('TZ=') || c.startsWith('CRON_TZ=')) {
    const sp = c.indexOf(' ');
    if (sp < 0) throw new Error('CronString has time zone but missing fields');
    tz = c.slice(c.indexOf('=') + 1, sp);
    c = c.slice(sp + 1);
  }
  // A trailing "# text" is the calendar's comment.
  const hash = c.indexOf('#');
  const comment = hash >= 0 ? c.slice(hash + 1).trim() : '';
  c = (hash >= 0 ? c.slice(0, hash) : c).trim();
  if (c.startsWith('@every')) {
    const sp = c.indexOf(' ');
    if (sp < 0) throw new Error('CronString does not have interval after @every');
    const [iv = '', phase = ''] = c.slice(sp + 1).split(/\/(.*)/s);
    // The server drops a TZ= prefix on @every strings: intervals are zone-free.
    return { every: { intervalMs: parseGoDuration(iv), phaseMs: phase ? parseGoDuration(phase) : 0 }, tz: '' };
  }
  c = PREDEFINED[c] ?? c;
  const f = c.trim().split(/\s+/);
  let cal: CalendarStrings;
  if (f.length === 5) cal = { minute: f[0], hour: f[1], dayOfMonth: f[2], month: f[3], dayOfWeek: f[4] };
  else if (f.length === 6)
    cal = { minute: f[0], hour: f[1], dayOfMonth: f[2], month: f[3], dayOfWeek: f[4], year: f[5] };
  else if (f.length === 7)
    cal = { second: f[0], minute: f[1], hour: f[2], dayOfMonth: f[3], month: f[4], dayOfWeek: f[5], year: f[6] };
  else throw new Error('CronString does not have 5-7 fields');
  return { calendar: calendarToStructured({ ...cal, comment }), tz };
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Go's time.ParseDuration plus the server's "d" (days) unit. */
export function parseGoDuration(s: string): number {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)/gy;
  if (s === '0') return 0;
  let total = 0;
  let pos = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(s)) !== null) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== s.length) throw new Error(`time: invalid duration ${JSON.stringify(s)}`);
  return Math.round(total);
}
