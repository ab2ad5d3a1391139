/**
 * One inbox and one outbox shared by three hosts (one ingest per worker id), as the `<workerId>` in every
 * flag name is for: each flag must end exactly once, by its own host; flags for no configured worker stay.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { HANDLERS, writeFlag } from '../../../src/flags/index.js';
import type { Ingest } from '../../../src/ingest.js';
import { receiptPath } from '../../../src/nas/paths.js';
import { eventsFileOf } from '../../../src/nas/paths.js';
import { testConfig } from '../../helpers/config.js';
import { waitFor } from '../../helpers/process.js';
import { dropFlag, exists, flagName, listedWith, readJson, runIngest, waitForJson, useIngestEnv } from './harness.js';

const { engine, tmp } = useIngestEnv('ingest-shared-');

// `deps_W1` makes `supervisor_update_code_deps_W1.flag` mean update_code_deps for W1 or update_code for deps_W1.
const HOSTS = ['W1', 'deps_W1', 'W3'];

describe('ingest: three hosts on one shared inbox', () => {
  it('each flag ends exactly once, by its own host; others stay untouched and are not logged over and over', async () => {
    const root = tmp();
    const config = testConfig(root);
    const { inbox, outbox } = config.paths;
    const hosts: { workerId: string; ingest: Ingest; records: Record<string, unknown>[] }[] = [];
    for (const workerId of HOSTS) hosts.push({ workerId, ...(await runIngest(engine.client, config, [workerId])) });
    try {
      // The same task id on every worker: unique per worker only, so the receipts must not collide.
      const taskOf = (handler: string): string => `t_shared_${handler}`;
      const expected: string[] = [];
      const later: { handler: (typeof HANDLERS)[number]; workerId: string }[] = [];
      for (const workerId of HOSTS) {
        for (const handler of HANDLERS) {
          expected.push(`${workerId}/${taskOf(handler)}`);
          if (flagName(handler, workerId) === flagName('update_code_deps', 'W1') && handler === 'update_code')
            later.push({ handler, workerId });
          // `supervisor flag --worker <other>` from any host: the CLI's own writer.
          else
            await writeFlag(
              inbox,
              { task_id: taskOf(handler), handler },
              { workerId, maxSize: config.ingest.max_flag_size },
            );
        }
      }
      // Nobody's: a well-formed flag for an absent worker, and a malformed name no host's id ends.
      const absent = await dropFlag(inbox, flagName('rollback_code', 'W9'), {
        task_id: 't_absent',
        handler: 'rollback_code',
      });
      const orphan = await dropFlag(inbox, 'supervisor_frobnicate_W9.flag', 'not even json');
      // A malformed name W3's id ends: W3's to reject, once.
      await dropFlag(inbox, 'supervisor_frobnicate_W3.flag', 'typo');
      const before = await Promise.all(
        [absent, orphan].map(async (f) => ({ f, bytes: await readFile(f), mtime: (await stat(f)).mtimeMs })),
      );
      const leftOver = [path.basename(absent), path.basename(orphan)].sort();
      const settled = async (): Promise<true | undefined> =>
        (await readdir(inbox)).sort().join() === leftOver.join() ? true : undefined;
      await waitFor('every served flag to leave the inbox', settled, 60_000);
      // The other reading of the ambiguous name, once the first has gone.
      for (const { handler, workerId } of later)
        await writeFlag(
          inbox,
          { task_id: taskOf(handler), handler },
          { workerId, maxSize: config.ingest.max_flag_size },
        );
      await waitFor('the ambiguous flag for deps_W1 to leave the inbox', settled, 60_000);
      for (let i = 0; i < 3; i += 1) for (const host of hosts) await host.ingest.idle();

      const listed = (await listedWith(engine.client, expected)).filter((id) => id.includes('t_shared_'));
      expect(listed.sort()).toEqual([...expected].sort());
      for (const id of expected) {
        const [workerId = '', taskId = ''] = id.split('/');
        const receipt = await waitForJson<{ worker_id: string; workflow_id: string }>(
          receiptPath(outbox, workerId, taskId, 'accepted'),
        );
        expect(receipt).toMatchObject({ worker_id: workerId, workflow_id: id });
        expect(await exists(receiptPath(outbox, workerId, taskId, 'duplicate'))).toBe(false);
      }
      // The ambiguous name went to the right host each time.
      expect(await readJson(receiptPath(outbox, 'W1', taskOf('update_code_deps'), 'accepted'))).toMatchObject({
        handler: 'update_code_deps',
        file: flagName('update_code_deps', 'W1'),
      });
      expect(await readJson(receiptPath(outbox, 'deps_W1', taskOf('update_code'), 'accepted'))).toMatchObject({
        handler: 'update_code',
        file: flagName('update_code_deps', 'W1'),
      });

      // Exactly one rejection, by W3; nothing else rejected; nobody's flags untouched.
      expect((await readdir(path.join(outbox, 'rejected'))).sort()).toEqual([
        'supervisor_frobnicate_W3.flag',
        'supervisor_frobnicate_W3.flag.error.json',
      ]);
      expect(await readJson(path.join(outbox, 'rejected', 'supervisor_frobnicate_W3.flag.error.json'))).toMatchObject({
        worker_id: 'W3',
      });
      for (const { f, bytes, mtime } of before) {
        expect(await readFile(f)).toEqual(bytes);
        expect((await stat(f)).mtimeMs).toBe(mtime);
      }
      const events = (await readFile(eventsFileOf(config.paths), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { type: string; workflow_id?: string });
      expect(
        events
          .filter((e) => e.type === 'flag_accepted')
          .map((e) => e.workflow_id)
          .sort(),
      ).toEqual([...expected].sort());
      expect(events.filter((e) => e.type === 'flag_rejected')).toHaveLength(1);

      // Other hosts' flags are noted at most once per host, however many passes ran.
      for (const host of hosts) {
        const notes = host.records.filter(
          (r) => typeof r.file === 'string' && /does not serve|no worker id served here/.test(String(r.msg)),
        );
        const perFile = new Map<string, number>();
        for (const r of notes) perFile.set(String(r.file), (perFile.get(String(r.file)) ?? 0) + 1);
        // The ambiguous name was in the inbox twice (two flags, one after the other): once each.
        const ambiguous = perFile.get(flagName('update_code_deps', 'W1')) ?? 0;
        perFile.delete(flagName('update_code_deps', 'W1'));
        expect(ambiguous).toBeLessThanOrEqual(2);
        expect([...perFile.values()].every((n) => n === 1)).toBe(true);
        expect(perFile.has('supervisor_frobnicate_W9.flag')).toBe(true);
        expect(host.records.filter((r) => r.level === 50)).toEqual([]);
      }
    } finally {
      for (const host of hosts) await host.ingest.stop();
    }
  }, 120_000);
});
