/**
 * keepalive/<workerId> runs for ever, so a keep-alive started by older code must replay on the new
 * code. The saved history was recorded with the keep-alive of before issue 11 (a first start, a
 * SIGSTOP hang, a SIGKILL): the new commands (hang audit, hang stop, command check) are behind
 * patched('keepalive-issue11') and must not show in its replay.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { installQuietRuntime } from '../../devserver/runtime.js';
import { loadSupervisorBundle } from '../../helpers/supervisor-env.js';

const SAVED = new URL('../../fixtures/histories/keepalive-before-issue11.json', import.meta.url);

describe('keep-alive replay', () => {
  it('replays a history recorded before issue 11 (hang, kill, restarts) without nondeterminism', async () => {
    installQuietRuntime();
    const history = temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(SAVED, 'utf8')) as Record<string, unknown>);
    const scheduled = (history.events ?? []).map((event) => event.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
    // The saved run did what the replay must cover: three restarts, one of them of a hung watcher.
    expect(scheduled.filter((name) => name === 'startWatcher')).toHaveLength(3);
    const results = (history.events ?? []).flatMap((event) => event.activityTaskCompletedEventAttributes?.result?.payloads ?? []);
    const texts = results.map((payload) => Buffer.from(payload.data ?? []).toString('utf8')).filter((text) => text !== '');
    const observations = texts.map((text) => (JSON.parse(text) as { observation?: string }).observation);
    expect(observations).toEqual(expect.arrayContaining(['hung', 'down']));
    await expect(Worker.runReplayHistory({ workflowBundle: await loadSupervisorBundle(), replayName: 'keepalive-before-issue11' }, history, 'keepalive/saved')).resolves.toBeUndefined();
  });
});
