/**
 * Wall-clock fields in a schedule's time zone, with Go's time.Date semantics (the real scheduler is Go):
 * out-of-range fields normalise, and a local time that does not exist (DST gap) takes the offset in
 * force before the transition.
 */
export interface Fields {
  y: number;
  mo: number;
  d: number;
  h: number;
  m: number;
  s: number;
  /** 0 = Sunday */
  dow: number;
}

export interface Zone {
  readonly name: string;
  /** Local fields of an instant (epoch seconds). */
  fields(sec: number): Fields;
  /** Epoch seconds of local wall-clock fields (which may overflow, like time.Date). */
  toEpoch(y: number, mo: number, d: number, h: number, m: number, s: number): number;
}

function utcFields(sec: number): Fields {
  const t = new Date(sec * 1000);
  return {
    y: t.getUTCFullYear(),
    mo: t.getUTCMonth() + 1,
    d: t.getUTCDate(),
    h: t.getUTCHours(),
    m: t.getUTCMinutes(),
    s: t.getUTCSeconds(),
    dow: t.getUTCDay(),
  };
}

function utcEpoch(y: number, mo: number, d: number, h: number, m: number, s: number): number {
  return Date.UTC(y, mo - 1, d, h, m, s) / 1000;
}

export const UTC: Zone = { name: 'UTC', fields: utcFields, toEpoch: utcEpoch };

class IanaZone implements Zone {
  private readonly fmt: Intl.DateTimeFormat;

  constructor(readonly name: string) {
    // Throws RangeError for names the ICU database does not know.
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Seconds east of UTC in force at an instant. */
  private offsetAt(sec: number): number {
    const parts: Record<string, number> = {};
    for (const p of this.fmt.formatToParts(new Date(sec * 1000)))
      if (p.type !== 'literal') parts[p.type] = Number(p.value);
    const local = utcEpoch(
      parts.year ?? 1970,
      parts.month ?? 1,
      parts.day ?? 1,
      parts.hour ?? 0,
      parts.minute ?? 0,
      parts.second ?? 0,
    );
    return local - sec;
  }

  fields(sec: number): Fields {
    return utcFields(sec + this.offsetAt(sec));
  }

  toEpoch(y: number, mo: number, d: number, h: number, m: number, s: number): number {
    const local = utcEpoch(y, mo, d, h, m, s);
    const guess = this.offsetAt(local);
    // As Go does: if the instant found with the first guess lies in another offset period, use that one.
    const actual = this.offsetAt(local - guess);
    return local - actual;
  }
}

const cache = new Map<string, Zone>();

/** Go's time.LoadLocation: "" and "UTC" are UTC; an unknown name fails with Go's message. */
export function loadZone(name: string): Zone {
  if (name === '' || name === 'UTC') return UTC;
  const hit = cache.get(name);
  if (hit) return hit;
  let zone: Zone;
  try {
    zone = new IanaZone(name === 'Local' ? Intl.DateTimeFormat().resolvedOptions().timeZone : name);
  } catch {
    throw new Error(`unknown time zone ${name}`);
  }
  cache.set(name, zone);
  return zone;
}
