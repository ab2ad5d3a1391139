/** The story `supervisor logs` and `supervisor tasks` read from a history, on saved histories of real runs. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { temporal } from '@temporalio/proto';
import { formatEntry } from '../../../src/operator/format.js';
import { storyOf, taskStatusOf } from '../../../src/operator/timeline.js';
import { outcomeLine, taskListQuery } from '../../../src/operator/tasks.js';

function events(name: string) {
  const json = readFileSync(new URL(`../../fixtures/histories/${name}.json`, import.meta.url), 'utf8');
  return temporal.api.history.v1.History.fromObject(JSON.parse(json) as Record<string, unknown>).events ?? [];
}

describe('timeline of a handler run', () => {
  it('marks the steps after a failed update as its compensation, up to the reporting steps', () => {
    const story = storyOf(events('update_code_deps-compensated'), 'update_code_deps');
    expect(story.input).toMatchObject({ task_id: 'rec_deps_fail', requested_by: 'recorder' });
    const activities = story.entries.filter((entry) => entry.kind === 'activity');
    const failed = activities.find((entry) => entry.outcome === 'failed');
    expect(failed).toMatchObject({ name: 'installDependencies', compensation: false });
    expect(failed?.error).toMatch(/^DepsInstallFailed: /);
    const undo = activities.filter((entry) => entry.compensation).map((entry) => entry.name);
    expect(undo).toEqual(expect.arrayContaining(['restoreWorkTree', 'startWatcher']));
    expect(undo).not.toContain('writeResult');
    expect(activities.every((entry) => entry.durationMs !== null && entry.durationMs >= 0)).toBe(true);
    expect(story.end?.status).toBe('completed');
    expect(taskStatusOf('COMPLETED', story)).toBe('failed');
    expect(outcomeLine(story.end)).toMatch(/; compensated: code put back$/);
    expect(formatEntry(story.entries.find((entry) => entry.compensation) ?? story.entries[0]!)).toMatch(
      /^\+\S+\s+undo: \w+\s+completed/,
    );
  });

  it('marks nothing as compensation in a successful run', () => {
    const story = storyOf(events('update_code_deps'), 'update_code_deps');
    expect(story.entries.some((entry) => entry.compensation)).toBe(false);
    expect(taskStatusOf('COMPLETED', story)).toBe('completed');
    expect(outcomeLine(story.end)).toMatch(/^ok, now at /);
    expect(outcomeLine(null)).toBe('running');
  });

  it('builds the visibility query from the filters, quoting what it embeds', () => {
    expect(taskListQuery({ workerId: "w'1", handler: 'diagnostics', status: 'failed', limit: 5 })).toBe(
      "WorkflowType IN ('diagnostics') AND WorkflowId STARTS_WITH 'w\\'1/' AND ExecutionStatus IN ('Completed', 'Failed')",
    );
    expect(taskListQuery({ workerId: null, sinceMs: 3_600_000, now: Date.UTC(2026, 0, 1, 12), limit: 5 })).toMatch(
      /^WorkflowType IN \('update_code', .*'verify_db'\) AND StartTime >= '2026-01-01T11:00:00.000Z'$/,
    );
  });
});
