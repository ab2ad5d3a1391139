import { describe, expect, it } from '@jest/globals';
import { compileSpec } from '../../src/devserver/schedules/spec.js';
import type { ScheduleSpec } from '../../src/devserver/schedules/spec.js';
import { parseCron } from '../../src/devserver/schedules/calendar.js';
import { fingerprint32, goTimeBinary } from '../../src/devserver/schedules/farmhash.js';
import { processBuffer } from '../../src/devserver/schedules/buffer.js';
import { Overlap } from '../../src/devserver/schedules/state.js';
import type { BufferedStart } from '../../src/devserver/schedules/state.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

/** The next `n` matching times after `from`, as ISO strings. */
function times(spec: ScheduleSpec, from: string, n: number): string[] {
  const c = compileSpec(spec);
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    const next = c.getNextTime('seed', t);
    if (!next) break;
    out.push(iso(next.next));
    t = next.next;
  }
  return out;
}

describe('schedule spec', () => {
  it('intervals count from the epoch plus the phase', () => {
    const spec = { interval: [{ interval: { seconds: 3600 }, phase: { seconds: 300 } }] };
    expect(times(spec, '2024-01-01T10:07:00Z', 2)).toEqual(['2024-01-01T11:05:00.000Z', '2024-01-01T12:05:00.000Z']);
    expect(times({ interval: [{ interval: { seconds: 5 } }] }, '2024-01-01T00:00:00Z', 2)).toEqual([
      '2024-01-01T00:00:05.000Z',
      '2024-01-01T00:00:10.000Z',
    ]);
  });

  it('cron strings: 5, 6 and 7 fields, names, steps, predefined and @every', () => {
    expect(times({ cronString: ['30 2 * * fri'] }, '2024-01-01T00:00:00Z', 2)).toEqual([
      '2024-01-05T02:30:00.000Z',
      '2024-01-12T02:30:00.000Z',
    ]);
    expect(times({ cronString: ['*/15 9-10 1 jan,mar *'] }, '2024-01-01T00:00:00Z', 3)).toEqual([
      '2024-01-01T09:00:00.000Z',
      '2024-01-01T09:15:00.000Z',
      '2024-01-01T09:30:00.000Z',
    ]);
    expect(times({ cronString: ['0 0 29 2 * 2025-2030'] }, '2024-01-01T00:00:00Z', 1)).toEqual([
      '2028-02-29T00:00:00.000Z',
    ]);
    expect(times({ cronString: ['*/20 * * * * * *'] }, '2024-01-01T00:00:10Z', 2)).toEqual([
      '2024-01-01T00:00:20.000Z',
      '2024-01-01T00:00:40.000Z',
    ]);
    expect(times({ cronString: ['@hourly'] }, '2024-01-01T00:00:00Z', 1)).toEqual(['2024-01-01T01:00:00.000Z']);
    expect(times({ cronString: ['@every 90m/30m'] }, '2024-01-01T00:00:00Z', 1)).toEqual(['2024-01-01T00:30:00.000Z']);
    // 7 is Sunday too
    expect(times({ cronString: ['0 12 * * 7'] }, '2024-01-01T00:00:00Z', 1)).toEqual(['2024-01-07T12:00:00.000Z']);
  });

  it('canonicalises cron and calendar specs into structured calendars', () => {
    const c = compileSpec({ cronString: ['5 4 * * 1-5'], calendar: [{ hour: '12', dayOfWeek: 'sat' }] });
    expect(c.canonical.structuredCalendar).toHaveLength(2);
    // Calendars come first, then cron strings, as the server appends them.
    expect(c.canonical.structuredCalendar?.[0]?.dayOfWeek).toEqual([{ start: 6, end: 0, step: 0 }]);
    expect(c.canonical.structuredCalendar?.[0]?.minute).toEqual([{ start: 0, end: 0, step: 0 }]);
    expect(c.canonical.structuredCalendar?.[1]?.dayOfWeek).toEqual([{ start: 1, end: 5, step: 0 }]);
    expect(parseCron('CRON_TZ=Europe/Paris 0 9 * * * # nine').tz).toBe('Europe/Paris');
    expect(parseCron('0 9 * * * # nine').calendar?.comment).toBe('nine');
    expect(parseCron('0 9 * * 3-7').calendar?.dayOfWeek).toEqual([
      { start: 0, end: 0, step: 0 },
      { start: 3, end: 6, step: 0 },
    ]);
  });

  it('rejects malformed specs with the server messages', () => {
    expect(() => compileSpec({ cronString: ['1 2 3'] })).toThrow('CronString does not have 5-7 fields');
    expect(() => compileSpec({ cronString: ['61 * * * *'] })).toThrow('Minute is not in range [0-59]');
    expect(() => compileSpec({ interval: [{ interval: { nanos: 5e8 } }] })).toThrow('interval is too small');
    expect(() => compileSpec({ interval: [{ interval: { seconds: 10 }, phase: { seconds: 10 } }] })).toThrow(
      'phase cannot be greater than Interval',
    );
    expect(() => compileSpec({ structuredCalendar: [{ hour: [{ start: 24 }] }] })).toThrow(
      'invalid calendar spec: Hour Start is not in range [0-23]',
    );
    expect(() => compileSpec({ timezoneName: 'Mars/Olympus' })).toThrow('unknown time zone Mars/Olympus');
    expect(() => compileSpec({ cronString: ['TZ=UTC 0 * * * *', 'TZ=Asia/Tokyo 0 * * * *'] })).toThrow(
      'conflicting timezone names',
    );
  });

  it('excludes, start and end time bound the matches', () => {
    const spec: ScheduleSpec = {
      cronString: ['0 * * * *'],
      excludeCalendar: [{ hour: '2', minute: '0' }],
      startTime: { seconds: at('2024-01-01T01:00:00Z') / 1000 },
      endTime: { seconds: at('2024-01-01T04:00:00Z') / 1000 },
    };
    expect(times(spec, '2023-12-31T00:00:00Z', 10)).toEqual([
      '2024-01-01T01:00:00.000Z',
      '2024-01-01T03:00:00.000Z',
      '2024-01-01T04:00:00.000Z',
    ]);
  });

  it('jitter is deterministic and stays before the next nominal time', () => {
    const spec: ScheduleSpec = { interval: [{ interval: { seconds: 60 } }], jitter: { seconds: 3600 } };
    const c = compileSpec(spec);
    const a = c.getNextTime('s1', at('2024-01-01T00:00:30Z'));
    expect(a?.nominal).toBe(at('2024-01-01T00:01:00Z'));
    expect(a?.next).toBeGreaterThanOrEqual(a?.nominal ?? 0);
    expect(a?.next).toBeLessThan((a?.nominal ?? 0) + 60_000);
    expect(c.getNextTime('s1', at('2024-01-01T00:00:30Z'))).toEqual(a);
  });

  it('time zones: wall-clock times, DST gaps skipped and repeated hours once', () => {
    expect(times({ cronString: ['0 9 * * *'], timezoneName: 'America/New_York' }, '2024-07-01T00:00:00Z', 1)).toEqual([
      '2024-07-01T13:00:00.000Z',
    ]);
    // 2024-03-10 02:30 does not exist in New York: that day has no match.
    expect(times({ cronString: ['30 2 * * *'], timezoneName: 'America/New_York' }, '2024-03-09T12:00:00Z', 2)).toEqual([
      '2024-03-11T06:30:00.000Z',
      '2024-03-12T06:30:00.000Z',
    ]);
    // 2024-11-03 01:30 happens twice in New York; the server matches both copies.
    expect(times({ cronString: ['30 1 * * *'], timezoneName: 'America/New_York' }, '2024-11-03T00:00:00Z', 3)).toEqual([
      '2024-11-03T05:30:00.000Z',
      '2024-11-03T06:30:00.000Z',
      '2024-11-04T06:30:00.000Z',
    ]);
  });
});

describe('farmhash Fingerprint32 (jitter hash)', () => {
  it('matches the golden values of the reference implementation', () => {
    const golden: [number, string][] = [
      [0x3c973d4d, 'a'],
      [0x98b51e95, 'abcd'],
      [0xa3f366ac, 'abcde'],
      [0xf2669361, 'abcdefghij'],
      [0xc6246b8d, 'size:  a.out:  bad magic'],
      [0x322984d9, "Nepal premier won't resign."],
      [0xe273108f, 'Discard medicine more than two years old.'],
      [
        0x11c493bb,
        'The fugacity of a constituent in a mixture of gases at a given temperature is proportional to its mole fraction.  Lewis-Randall Rule',
      ],
    ];
    for (const [want, s] of golden) expect(fingerprint32(Buffer.from(s))).toBe(want);
  });

  it("encodes a UTC time like Go's MarshalBinary", () => {
    // version 1, seconds since year 1 (big-endian), nanoseconds, offset -1 for UTC
    expect(Buffer.from(goTimeBinary(0)).toString('hex')).toBe('01' + '0000000e7791f700' + '00000000' + 'ffff');
  });
});

describe('over-excluded specs', () => {
  it('give up instead of searching every second to 2100', () => {
    const spec: ScheduleSpec = {
      interval: [{ interval: { seconds: 1 } }],
      excludeCalendar: [{ second: '*', minute: '*', hour: '*' }],
    };
    expect(compileSpec(spec).getNextTime('s', Date.parse('2024-01-01T00:00:00Z'))).toBeNull();
  });
});

describe('overlap buffer (processBuffer)', () => {
  const start = (n: number, overlapPolicy = 0): BufferedStart => ({
    nominalMs: n,
    actualMs: n,
    overlapPolicy,
    manual: false,
  });
  const as =
    (policy: number) =>
    (p: number): number =>
      p || policy;

  it('starts one when nothing runs, and applies the policy to the rest', () => {
    const buffer = [start(1), start(2), start(3)];
    expect(processBuffer(buffer, false, as(Overlap.SKIP))).toMatchObject({
      nonOverlapping: buffer[0],
      rest: [],
      skipped: 2,
    });
    expect(processBuffer(buffer, false, as(Overlap.BUFFER_ONE))).toMatchObject({
      nonOverlapping: buffer[0],
      rest: [buffer[1]],
      skipped: 1,
    });
    expect(processBuffer(buffer, true, as(Overlap.BUFFER_ALL))).toMatchObject({
      nonOverlapping: null,
      rest: buffer,
      skipped: 0,
    });
  });

  it('CANCEL_OTHER / TERMINATE_OTHER: replace a pending start, or stop the running one and keep the start', () => {
    const buffer = [start(1), start(2)];
    expect(processBuffer(buffer, false, as(Overlap.TERMINATE_OTHER))).toMatchObject({
      nonOverlapping: buffer[1],
      rest: [],
      needTerminate: false,
    });
    expect(processBuffer(buffer, true, as(Overlap.CANCEL_OTHER))).toMatchObject({
      nonOverlapping: null,
      rest: buffer,
      needCancel: true,
    });
  });

  it('ALLOW_ALL starts everything, unless something is about to be cancelled', () => {
    const all = [start(1, Overlap.ALLOW_ALL), start(2, Overlap.ALLOW_ALL)];
    expect(processBuffer(all, true, as(Overlap.SKIP))).toMatchObject({ overlapping: all, nonOverlapping: null });
    expect(processBuffer([...all, start(3, Overlap.TERMINATE_OTHER)], true, as(Overlap.SKIP))).toMatchObject({
      overlapping: [],
      needTerminate: true,
    });
  });
});
