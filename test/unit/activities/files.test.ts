import { appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { writeJsonAtomic } from '../../../src/lib/atomic.js';
import { InvalidArgument } from '../../../src/activities/errors.js';
import { pauseFlagPath } from '../../../src/nas/paths.js';
import { auditFileOf } from '../../../src/nas/paths.js';
import { ndjsonAuditSink } from '../../../src/audit/ndjson.js';
import { useTempDir } from '../../helpers/tmp.js';
import { activitiesFor } from '../../helpers/activities.js';
import { testConfig } from '../../helpers/config.js';

const FIXED = new Date('2026-02-05T14:30:15.234Z');

describe('atomic JSON writes', () => {
  const dir = useTempDir('ts-files-');

  it('writes the value, replaces an older file and leaves no temp file', async () => {
    const file = join(dir(), 'sub', 'state.json');
    await writeJsonAtomic(file, { n: 1 });
    await writeJsonAtomic(file, { n: 2, text: 'ü' });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ n: 2, text: 'ü' });
    expect(await readdir(join(dir(), 'sub'))).toEqual(['state.json']);
  });

  it('removes its temp file when the rename fails and keeps the target intact', async () => {
    // A directory where the file should go: rename fails after the temp file was written.
    const target = join(dir(), 'taken');
    await mkdir(join(target, 'child'), { recursive: true });
    await expect(writeJsonAtomic(target, { n: 1 })).rejects.toThrow();
    expect(await readdir(dir())).toEqual(['taken']);
  });
});

describe('file activities', () => {
  const dir = useTempDir('ts-files-');

  it('creates the pause flag with who, when and label, keeps the first one, and removes it', async () => {
    const config = testConfig(dir());
    const acts = activitiesFor(config, { now: () => FIXED });
    const first = await acts.createPauseFlag({ who: 'alice', label: 'AA v1-2', taskId: 'task_1' });
    expect(first.created).toBe(true);
    expect(pauseFlagPath(config)).toBe(join(dir(), '00_STATE', 'supervisor_pause_W1.flag'));
    expect(JSON.parse(await readFile(pauseFlagPath(config), 'utf8'))).toEqual({
      worker_id: 'W1',
      paused_by: 'alice',
      paused_at: FIXED.toISOString(),
      label: 'AA v1-2',
      task_id: 'task_1',
    });
    const second = await acts.createPauseFlag({ who: 'bob' });
    expect(second).toEqual({ created: false, flag: first.flag });
    expect(await acts.readPauseFlag()).toEqual(first.flag);
    expect(await acts.removePauseFlag()).toEqual({ removed: true });
    expect(await acts.removePauseFlag()).toEqual({ removed: false });
    expect(await acts.readPauseFlag()).toBeNull();
  });

  it('treats an unreadable pause flag as paused', async () => {
    const config = testConfig(dir());
    await writeFile(pauseFlagPath(config), 'not json');
    expect((await activitiesFor(config).readPauseFlag())?.paused_by).toBe('unknown');
  });

  it('writes the result file to the outbox and refuses task ids that are not file-safe', async () => {
    const config = testConfig(dir());
    const acts = activitiesFor(config);
    const { path } = await acts.writeResult({
      taskId: 'task_20260205_001',
      result: { success: true, details: { a: 1 } },
    });
    expect(path).toBe(join(dir(), 'Worker_Outbox', 'W1', 'task_20260205_001.result.json'));
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ success: true, details: { a: 1 } });
    for (const bad of ['../escape', '..', 'a/b', '']) {
      await expect(acts.writeResult({ taskId: bad, result: {} })).rejects.toBeInstanceOf(InvalidArgument);
    }
    expect(await readdir(join(dir(), 'Worker_Outbox'))).toEqual(['W1']);
    expect(await readdir(join(dir(), 'Worker_Outbox', 'W1'))).toEqual(['task_20260205_001.result.json']);
  });

  it('judges the watcher heartbeat: healthy, with an error, missing', async () => {
    const config = testConfig(dir());
    const acts = activitiesFor(config, { now: () => FIXED });
    expect(await acts.watcherHeartbeat()).toMatchObject({ exists: false, healthy: false });
    const beat = { unix_ts: FIXED.getTime() / 1000 - 10, status: 'healthy', pid: 3 };
    await writeFile(config.watcher.heartbeat_file, JSON.stringify(beat));
    expect(await acts.watcherHeartbeat()).toMatchObject({ exists: true, fresh: true, healthy: true, age_seconds: 10 });
    await writeFile(config.watcher.heartbeat_file, JSON.stringify({ ...beat, error: 'db lost' }));
    expect(await acts.watcherHeartbeat()).toMatchObject({ fresh: true, healthy: false, error: 'db lost' });
  });

  it('records audit rows to <logs>/audit.ndjson without a database, secrets redacted', async () => {
    const config = testConfig(dir());
    const acts = activitiesFor(config, { now: () => FIXED });
    await acts.recordAudit({
      task_id: 't1',
      handler: 'pause_watcher',
      label: 'AA v1-2',
      action: 'completed',
      success: true,
      details: { pid: 42, db_password: 'pw!' },
      actor: 'alice',
    });
    await acts.recordAudit({
      task_id: 't2',
      handler: 'verify_db',
      label: null,
      action: 'completed',
      success: false,
      details: {},
      actor: null,
    });
    const lines = (await readFile(join(dir(), '05_LOGS', 'audit.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      {
        at: FIXED.toISOString(),
        worker_id: 'W1',
        task_id: 't1',
        handler: 'pause_watcher',
        label: 'AA v1-2',
        action: 'completed',
        success: true,
        details: { pid: 42, db_password: '[redacted]' },
        actor: 'alice',
        row_key: expect.any(String),
      },
      {
        at: FIXED.toISOString(),
        worker_id: 'W1',
        task_id: 't2',
        handler: 'verify_db',
        label: null,
        action: 'completed',
        success: false,
        details: {},
        actor: null,
        row_key: expect.any(String),
      },
    ]);
  });
});

describe('NDJSON audit sink', () => {
  const dir = useTempDir('ts-audit-');

  it('returns the newest records first, filtered by worker, skipping a torn line', async () => {
    const file = auditFileOf(join(dir(), 'logs'));
    const sink = ndjsonAuditSink(file);
    const row = (worker: string, task: string) => ({
      at: FIXED.toISOString(),
      worker_id: worker,
      task_id: task,
      handler: 'h',
      label: null,
      action: 'a',
      success: true,
      details: {},
      actor: null,
    });
    await sink.record(row('W1', 'a'));
    await sink.record(row('W2', 'b'));
    await appendFile(file, '{"torn":');
    await appendFile(file, '\n');
    await sink.record(row('W1', 'c'));
    expect((await sink.last(10, 'W1')).map((r) => r.task_id)).toEqual(['c', 'a']);
    expect((await sink.last(2)).map((r) => r.task_id)).toEqual(['c', 'b']);
    expect(await ndjsonAuditSink(join(dir(), 'none.ndjson')).last(5)).toEqual([]);
  });
});
