/**
 * keepalive/<workerId> runs for ever, so a keep-alive started by older code must replay on the new
 * code. Both saved histories were recorded with the embedded engine and the real SDK:
 * - before-issue11: the keep-alive of before issue 11 throughout (a first start, a SIGSTOP hang, a SIGKILL);
 * - across-issue11: started by that code (first start, SIGKILL), then taken over mid-run by a worker
 *   with the new code, which audited the next hang (watcher_hung) on its new path.
 * The new commands are behind patched('keepalive-issue11'): an old iteration must replay unchanged.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { installQuietRuntime } from '../../devserver/runtime.js';
import { loadSupervisorBundle } from '../../helpers/supervisor-env.js';

type History = temporal.api.history.v1.History;

function saved(name: string): History {
  const url = new URL(`../../fixtures/histories/${name}.json`, import.meta.url);
  return temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>);
}

const activities = (history: History) => (history.events ?? []).map((event) => event.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);

/** The JSON results and inputs of the run's activities, decoded. */
function payloads(history: History): string[] {
  const all = (history.events ?? []).flatMap((event) => [
    ...(event.activityTaskCompletedEventAttributes?.result?.payloads ?? []),
    ...(event.activityTaskScheduledEventAttributes?.input?.payloads ?? []),
  ]);
  return all.map((payload) => Buffer.from(payload.data ?? []).toString('utf8')).filter((text) => text !== '');
}

const markers = (history: History) => (history.events ?? []).filter((event) => event.markerRecordedEventAttributes !== null && event.markerRecordedEventAttributes !== undefined);

async function replay(history: History, name: string): Promise<void> {
  installQuietRuntime();
  await Worker.runReplayHistory({ workflowBundle: await loadSupervisorBundle(), replayName: name }, history, `keepalive/${name}`);
}

describe('keep-alive replay', () => {
  it('replays a history recorded before issue 11 (hang, kill, restarts) without nondeterminism', async () => {
    const history = saved('keepalive-before-issue11');
    // The saved run did what the replay must cover: three restarts, one of them of a hung watcher.
    expect(activities(history).filter((name) => name === 'startWatcher')).toHaveLength(3);
    expect(payloads(history).some((text) => text.includes('"observation":"hung"'))).toBe(true);
    expect(markers(history)).toEqual([]);
    await expect(replay(history, 'before-issue11')).resolves.toBeUndefined();
  });

  it('replays a run that older code began and the new code took over, hang audited on the new path', async () => {
    const history = saved('keepalive-across-issue11');
    expect(markers(history).length).toBeGreaterThan(0);
    const texts = payloads(history);
    expect(texts.some((text) => text.includes('"action":"watcher_hung"'))).toBe(true);
    expect(texts.some((text) => text.includes('"reason":"hang"'))).toBe(true);
    await expect(replay(history, 'across-issue11')).resolves.toBeUndefined();
  });
});
