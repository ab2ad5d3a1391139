/**
 * Properties of the other parsers that take outside input: the configuration loader (YAML from an operator),
 * the engine's visibility query parser (any client's List filter) and schedule spec compiler (any client's
 * CreateSchedule). None may crash on any input: each either answers or refuses with its own named error.
 */
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { ConfigError, parseConfig } from '../../../src/config/load.js';
import { compileSpec } from '../../../src/devserver/schedules/spec.js';
import type { ScheduleSpec } from '../../../src/devserver/schedules/spec.js';
import { parseQuery } from '../../../src/devserver/visibility/parser.js';
import { RpcError } from '../../../src/devserver/wire/errors.js';
import { hostileJson, usePropertySeed } from '../../helpers/property.js';

usePropertySeed('parsers');

/** Runs `fn`; true when it returned or threw an instance of `expected`, false (the property fails) otherwise. */
function answersOrRefuses(fn: () => unknown, expected: abstract new (...args: never[]) => Error): boolean {
  try {
    fn();
    return true;
  } catch (error) {
    if (error instanceof expected && error.message !== '') return true;
    throw error;
  }
}

describe('configuration loader', () => {
  const load = (text: string) => () =>
    parseConfig(text, { source: 'prop.yaml', env: { HOME_DIR: '/srv', EMPTY: '' }, baseDir: '/srv/supervisor' });
  const sections = ['worker_id', 'paths', 'watcher', 'health', 'ingest', 'database', 'temporal', 'http', 'approvals'];

  it('any text: a Config or a ConfigError naming the problems', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => answersOrRefuses(load(text), ConfigError)));
  });

  it('any YAML document built of the real section names with hostile values', () => {
    const doc = fc.dictionary(fc.oneof(fc.constantFrom(...sections), fc.string({ maxLength: 8 })), hostileJson(), {
      maxKeys: 6,
    });
    fc.assert(fc.property(doc, (value) => answersOrRefuses(load(stringify(value)), ConfigError)));
  });

  it('${VAR} substitution of any name, set or not, in any value', () => {
    const text = fc
      .tuple(fc.constantFrom(...sections), fc.stringMatching(/^[A-Za-z_]{0,10}$/), fc.string({ maxLength: 20 }))
      .map(([key, name, rest]) => `worker_id: OrionMX\n${key}: "\${${name}}${rest.replaceAll('"', '')}"\n`);
    fc.assert(fc.property(text, (body) => answersOrRefuses(load(body), ConfigError)));
  });
});

describe('visibility query parser', () => {
  const words = [
    'WorkflowId',
    'WorkflowType',
    'ExecutionStatus',
    'StartTime',
    'CloseTime',
    'TaskQueue',
    'WorkerId',
    'CustomKeywordField',
    'and',
    'or',
    'not',
    'in',
    'between',
    'is',
    'null',
    'order',
    'by',
    'asc',
    'desc',
    'starts_with',
    'like',
    'limit',
    '=',
    '!=',
    '<',
    '<=',
    '>',
    '>=',
    '(',
    ')',
    ',',
    "'Running'",
    "'x'",
    '"y"',
    '`WorkflowId`',
    '42',
    '-1.5',
    "'2024-01-01T00:00:00Z'",
    "'",
    '"',
    '`',
    '\\',
    '',
  ];
  const queries = fc.oneof(
    fc.string({ maxLength: 120 }),
    fc.array(fc.constantFrom(...words), { maxLength: 14 }).map((tokens) => tokens.join(' ')),
    fc.array(fc.constantFrom(...words), { maxLength: 14 }).map((tokens) => tokens.join('')),
  );

  it('any query: parsed, or refused with InvalidArgument and a message', () => {
    fc.assert(fc.property(queries, (query) => answersOrRefuses(() => parseQuery(query), RpcError)));
  });
});

describe('schedule spec compiler', () => {
  const duration = fc.record(
    {
      seconds: fc.oneof(fc.integer({ min: -10, max: 10 ** 7 }), fc.constant(0)),
      nanos: fc.integer({ min: -1, max: 10 ** 9 }),
    },
    { requiredKeys: [] },
  );
  const field = fc.oneof(
    fc.constantFrom('*', '0', '1-5', '*/15', 'mon-fri', 'jan,mar', '61', '-1', 'x', '', '1/0', '0-0/1', 'L', '?'),
    fc.string({ maxLength: 8 }),
  );
  const cron = fc.oneof(
    fc.array(field, { minLength: 0, maxLength: 8 }).map((parts) => parts.join(' ')),
    fc.constantFrom(
      '@hourly',
      '@daily',
      '@every 90m/30m',
      '@every 0s',
      '@every x',
      'CRON_TZ=Europe/Paris 0 9 * * *',
      'TZ=Nowhere/X * * * * *',
    ),
  );
  const specs: fc.Arbitrary<ScheduleSpec> = fc.record(
    {
      cronString: fc.array(cron, { maxLength: 3 }),
      interval: fc.array(fc.record({ interval: duration, phase: duration }, { requiredKeys: ['interval'] }), {
        maxLength: 2,
      }),
      calendar: fc.array(
        fc.record({ hour: field, minute: field, dayOfWeek: field, year: field }, { requiredKeys: [] }),
        {
          maxLength: 2,
        },
      ),
      timezoneName: fc.constantFrom('', 'UTC', 'Europe/Paris', 'America/New_York', 'Not/AZone', '../../etc/passwd'),
      jitter: duration,
    },
    { requiredKeys: [] },
  );

  it('any spec: compiled, or refused with an Error; a compiled spec gives later times, never throws', () => {
    fc.assert(
      fc.property(specs, fc.integer({ min: 0, max: 4 * 10 ** 12 }), (spec, from) => {
        let compiled;
        try {
          compiled = compileSpec(spec);
        } catch (error) {
          if (error instanceof Error && error.message !== '') return true;
          throw error;
        }
        let after = from;
        for (let i = 0; i < 3; i += 1) {
          const next = compiled.getNextTime('seed', after);
          if (next === null) return true;
          if (!(next.nominal > after) || !Number.isFinite(next.next)) return false;
          after = next.nominal;
        }
        return true;
      }),
      { numRuns: 150 },
    );
  });
});
