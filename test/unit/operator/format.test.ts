import { describe, expect, it } from '@jest/globals';
import type { ResultFile } from '../../../src/contract/handlers.js';
import { formatCancel } from '../../../src/operator/cancel.js';
import { formatRunOnce, healthOk } from '../../../src/operator/run-once.js';

const result = (details: Record<string, unknown>, success = false): ResultFile => ({
  success,
  error: success ? undefined : 'cancelled',
  details,
  task_id: 't1',
  handler: 'update_code',
  label: null,
  worker_id: 'W1',
  requested_by: 'ops',
  started_at: '2026-01-01T00:00:00.000Z',
  finished_at: '2026-01-01T00:00:01.000Z',
});

describe('formatCancel', () => {
  it('says what happened in each case, naming the canceller when the result does', () => {
    const by = result({ cancelled_by: 'ann@h', cancel_reason: 'wrong branch' });
    expect(formatCancel({ workflow_id: 'W1/t1', outcome: 'cancelled', status: 'CANCELLED', result: by })).toBe(
      'W1/t1 cancelled by ann@h (wrong branch)\nresult: failed: cancelled\n',
    );
    expect(formatCancel({ workflow_id: 'W1/t1', outcome: 'already-ended', status: 'CANCELLED', result: by })).toBe(
      'W1/t1 was already cancelled by ann@h (wrong branch); nothing to do\n',
    );
    expect(formatCancel({ workflow_id: 'W1/t1', outcome: 'already-ended', status: 'COMPLETED', result: null })).toBe(
      'W1/t1 already ended (completed); nothing to cancel\n',
    );
    expect(formatCancel({ workflow_id: 'W1/t1', outcome: 'requested', status: 'RUNNING', result: null })).toBe(
      'cancel requested for W1/t1; not waiting\n',
    );
    // Cancelled while reporting (not cancellable): it ended its own way, and the output says so.
    expect(
      formatCancel({ workflow_id: 'W1/t1', outcome: 'cancelled', status: 'COMPLETED', result: result({}, true) }),
    ).toBe('W1/t1 ended completed before the cancel took effect\nresult: success\n');
  });
});

describe('run-once verdicts', () => {
  it('counts a paused watcher as well and a stopped or failed one, or a failed run, as not', () => {
    const run = (watcher_state: string, success = true) => ({ success, watcher_state, actions_taken: [], errors: [] });
    expect(healthOk(run('running'))).toBe(true);
    expect(healthOk(run('paused'))).toBe(true);
    expect(healthOk(run('stopped'))).toBe(false);
    expect(healthOk(run('failed'))).toBe(false);
    expect(healthOk(run('running', false))).toBe(false);
    expect(healthOk(null)).toBe(false);
  });

  it('reports handlers still running at the deadline and the timeout', () => {
    const text = formatRunOnce({
      worker_id: 'W1',
      handlers: [{ task_id: 't1', handler: 'update_code', workflow_id: 'W1/t1', success: null, error: null }],
      health: null,
      timed_out: true,
      ok: false,
    });
    expect(text).toBe(
      't1  update_code  still running at the deadline\nhealth: not checked before the deadline\nrun-once: timed out\n',
    );
  });
});
