import { z } from 'zod';

const DURATION_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const SIZE_UNITS = {
  b: 1,
  kb: 1_000,
  kib: 1_024,
  mb: 1_000_000,
  mib: 1_048_576,
  gb: 1_000_000_000,
  gib: 1_073_741_824,
} as const;

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)$/i;

/** A duration written as `500ms`, `30s`, `10m`, `1h`, `2d`, or a bare number of seconds; parsed to milliseconds. */
export const Duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') {
    if (value >= 0 && Number.isFinite(value)) return Math.round(value * 1_000);
  } else {
    const match = DURATION.exec(value.trim());
    if (match?.[1] && match[2])
      return Math.round(Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS]);
  }
  ctx.addIssue({
    code: 'custom',
    message: `expected a duration like "30s", "10m" or a number of seconds, got ${JSON.stringify(value)}`,
  });
  return z.NEVER;
});

/** A size written as `64KiB`, `10MB`, or a bare number of bytes; parsed to bytes. */
export const ByteSize = z.union([z.number(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value > 0) return value;
  } else {
    const match = SIZE.exec(value.trim());
    if (match?.[1] && match[2])
      return Math.round(Number(match[1]) * SIZE_UNITS[match[2].toLowerCase() as keyof typeof SIZE_UNITS]);
  }
  ctx.addIssue({
    code: 'custom',
    message: `expected a size like "64KiB", "10MB" or a number of bytes, got ${JSON.stringify(value)}`,
  });
  return z.NEVER;
});
