/**
 * In-memory task queues (derived state): tasks are closures that start the task if it is still current
 * (returning the poll response) or return null when it went stale, like the real matching service.
 */
export interface PollContext {
  identity: string;
}

export type QueuedTask<R> = (ctx: PollContext) => R | null;
export type QueueKind = 'workflow' | 'activity';

interface Waiter<R> {
  ctx: PollContext;
  resolve: (r: R | null) => void;
}

interface Queue {
  tasks: QueuedTask<unknown>[];
  waiters: Waiter<unknown>[];
  pollers: Map<string, number>;
}

export class Matching {
  private readonly queues = new Map<string, Queue>();

  private queue(namespace: string, kind: QueueKind, name: string): Queue {
    const key = `${namespace}\u0000${kind}\u0000${name}`;
    let q = this.queues.get(key);
    if (!q) {
      q = { tasks: [], waiters: [], pollers: new Map() };
      this.queues.set(key, q);
    }
    return q;
  }

  offer<R>(namespace: string, kind: QueueKind, name: string, task: QueuedTask<R>): void {
    const q = this.queue(namespace, kind, name);
    const waiter = q.waiters.shift() as Waiter<R> | undefined;
    if (!waiter) {
      q.tasks.push(task as QueuedTask<unknown>);
      return;
    }
    const r = task(waiter.ctx);
    if (r === null) q.waiters.unshift(waiter as Waiter<unknown>);
    else waiter.resolve(r);
  }

  poll<R>(
    namespace: string,
    kind: QueueKind,
    name: string,
    ctx: PollContext,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<R | null> {
    const q = this.queue(namespace, kind, name);
    q.pollers.set(ctx.identity, Date.now());
    while (q.tasks.length > 0) {
      const task = q.tasks.shift() as QueuedTask<R>;
      const r = task(ctx);
      if (r !== null) return Promise.resolve(r);
    }
    if (signal.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter: Waiter<R> = {
        ctx,
        resolve: (r) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve(r);
        },
      };
      const onAbort = (): void => {
        const i = q.waiters.indexOf(waiter as Waiter<unknown>);
        if (i >= 0) q.waiters.splice(i, 1);
        waiter.resolve(null);
      };
      const timer = setTimeout(onAbort, timeoutMs);
      timer.unref();
      signal.addEventListener('abort', onAbort);
      q.waiters.push(waiter as Waiter<unknown>);
    });
  }

  pollers(namespace: string, kind: QueueKind, name: string): { identity: string; lastAccessTime: number }[] {
    const q = this.queue(namespace, kind, name);
    return [...q.pollers.entries()].map(([identity, lastAccessTime]) => ({ identity, lastAccessTime }));
  }

  backlog(namespace: string, kind: QueueKind, name: string): number {
    return this.queue(namespace, kind, name).tasks.length;
  }

  /** Ends every waiting poll with an empty response (used on stop and for dropped sticky queues). */
  releaseAll(namespace?: string, kind?: QueueKind, name?: string): void {
    for (const [key, q] of this.queues) {
      if (name !== undefined && key !== `${namespace}\u0000${kind}\u0000${name}`) continue;
      for (const w of q.waiters.splice(0)) w.resolve(null);
    }
  }
}
