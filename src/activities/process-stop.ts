import type { ActivityHooks } from './context.js';
import { descendantsOf, groupMembers, isAlive, listProcesses, procStat, sendSignal } from './process-tree.js';
import { exitOf, sleepUnless } from './watcher-exit.js';

/** The first look after a signal; each later one waits twice as long, up to the poll interval. */
const FIRST_LOOK_MS = 5;

export interface StopTiming {
  /** How long the tree gets to exit after SIGTERM. */
  graceMs: number;
  pollMs: number;
  /** How long SIGKILLed processes get to disappear before the stop counts as failed. */
  killWaitMs: number;
}

export interface TreeStopOutcome {
  stoppedBy: 'sigterm' | 'sigkill';
  pids: number[];
  /** Processes that were stopped (state T) and got SIGCONT with their SIGTERM. */
  resumed: number[];
}

/**
 * The processes to stop, each with its start time so a pid reused after its process died is
 * never signalled. Found by parent pid and by process group: a grandchild whose parent already
 * exited has lost its parent link but not its group. Nothing started before the leader can
 * belong to its tree, which keeps a reused group id from reaching strangers.
 */
class Tree {
  readonly known = new Map<number, number | undefined>();

  constructor(
    readonly leader: number,
    readonly leaderTicks: number | undefined,
    readonly group: number | undefined,
  ) {}

  /** Full look-up: the parent-pid tree (one `ps`) and the group. Before each signal. */
  async refresh(): Promise<void> {
    // Once the leader is gone its pid may be reused: its "descendants" would then be strangers.
    if (await isAlive(this.leader, this.leaderTicks))
      await this.admit([this.leader, ...descendantsOf(this.leader, await listProcesses())]);
    await this.admitGroup();
  }

  private async admitGroup(): Promise<void> {
    if (this.group !== undefined) await this.admit(await groupMembers(this.group));
  }

  private async admit(pids: readonly number[]): Promise<void> {
    for (const pid of pids) {
      if (this.known.has(pid)) continue;
      const ticks = (await procStat(pid))?.startTicks;
      if (this.leaderTicks !== undefined && ticks !== undefined && ticks < this.leaderTicks) continue;
      this.known.set(pid, ticks);
    }
  }

  /** Cheap check while waiting: known pids plus the group (a child forked after the snapshot is in it). */
  async survivors(): Promise<number[]> {
    await this.admitGroup();
    const alive: number[] = [];
    for (const [pid, startTicks] of this.known) if (await isAlive(pid, startTicks)) alive.push(pid);
    return alive;
  }

  async signal(signal: NodeJS.Signals): Promise<void> {
    if (this.group !== undefined) sendSignal(-this.group, signal);
    for (const pid of await this.survivors()) sendSignal(pid, signal);
  }

  /**
   * A stopped process (SIGSTOP, state T) holds a SIGTERM pending for ever: it must be continued to
   * receive it. Only stopped ones: a running program may treat SIGCONT as an event of its own.
   */
  async resumeStopped(): Promise<number[]> {
    const resumed: number[] = [];
    for (const pid of await this.survivors()) {
      if ((await procStat(pid))?.state === 'T' && sendSignal(pid, 'SIGCONT')) resumed.push(pid);
    }
    return resumed;
  }

  pids(): number[] {
    return [...this.known.keys()].sort((a, b) => a - b);
  }
}

/** The leader's own group when it leads one (we start the watcher that way) and it is not ours. */
async function groupOf(leader: number): Promise<number | undefined> {
  if (process.platform !== 'linux') return leader;
  const [stat, own] = await Promise.all([procStat(leader), procStat(process.pid)]);
  return stat !== undefined && stat.pgrp === leader && stat.pgrp !== own?.pgrp ? leader : undefined;
}

/** Polls until the tree is gone or `ms` passed, heartbeating; cancellation throws out of `sleep`. */
async function waitForExit(
  tree: Tree,
  ms: number,
  pollMs: number,
  phase: string,
  hooks: ActivityHooks,
): Promise<number[]> {
  const deadline = Date.now() + ms;
  let survivors = await tree.survivors();
  // Most processes exit within milliseconds of the signal: look again soon, then less and less often.
  let stepMs = FIRST_LOOK_MS;
  // At least one heartbeat per phase with survivors, even when looking took the whole window (a busy host).
  while (survivors.length > 0) {
    hooks.heartbeat({ phase, survivors });
    if (Date.now() >= deadline) break;
    const waitMs = Math.max(1, Math.min(stepMs, pollMs, deadline - Date.now()));
    // The leader's death news wakes the wait once; with the leader gone, its settled news would wake every wait.
    await sleepUnless(hooks, waitMs, survivors.includes(tree.leader) ? exitOf(tree.leader) : undefined);
    stepMs *= 2;
    survivors = await tree.survivors();
  }
  return survivors;
}

/**
 * SIGTERM to the whole tree, up to `graceMs` to exit, then SIGKILL for every survivor, children
 * and grandchildren included. Cancellation during the grace period stops the wait without
 * escalating: the caller asked us to stop acting, not to act harder.
 */
async function stopTree(tree: Tree, timing: StopTiming, hooks: ActivityHooks): Promise<TreeStopOutcome> {
  // Snapshot before signalling: once the leader exits, its children are re-parented away.
  await tree.refresh();
  await tree.signal('SIGTERM');
  const resumed = await tree.resumeStopped();
  if ((await waitForExit(tree, timing.graceMs, timing.pollMs, 'sigterm', hooks)).length === 0) {
    return { stoppedBy: 'sigterm', pids: tree.pids(), resumed };
  }
  await tree.refresh();
  await tree.signal('SIGKILL');
  const left = await waitForExit(tree, timing.killWaitMs, Math.min(timing.pollMs, 50), 'sigkill', hooks);
  // Plain Error: retryable, a later attempt finds and kills what is left.
  if (left.length > 0) throw new Error(`processes ${left.join(', ')} survived SIGKILL`);
  return { stoppedBy: 'sigkill', pids: tree.pids(), resumed };
}

export async function stopProcessTree(
  leader: number,
  timing: StopTiming,
  hooks: ActivityHooks,
): Promise<TreeStopOutcome> {
  const leaderTicks = (await procStat(leader))?.startTicks;
  return stopTree(new Tree(leader, leaderTicks, await groupOf(leader)), timing, hooks);
}

/**
 * What is left of a watcher whose leader died: members of its process group started after it
 * (Linux, where start times are exact). Undefined when there is nothing to stop.
 */
export async function stopOrphans(
  pgid: number,
  leaderTicks: number | undefined,
  timing: StopTiming,
  hooks: ActivityHooks,
): Promise<TreeStopOutcome | undefined> {
  if (process.platform !== 'linux' || leaderTicks === undefined || (await procStat(process.pid))?.pgrp === pgid)
    return undefined;
  const tree = new Tree(pgid, leaderTicks, pgid);
  await tree.refresh();
  return tree.known.size === 0 ? undefined : stopTree(tree, timing, hooks);
}
