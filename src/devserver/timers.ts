/** Engine timers (derived from mutable state): keyed so they can be replaced and cancelled; unref'd. */
export class Timers {
  private readonly handles = new Map<string, NodeJS.Timeout>();

  /** A failing timer callback is reported here instead of crashing the process. */
  constructor(private readonly onError: (key: string, err: unknown) => void) {}

  set(key: string, delayMs: number, fn: () => void): void {
    this.clear(key);
    const handle = setTimeout(() => {
      this.handles.delete(key);
      try {
        fn();
      } catch (err) {
        this.onError(key, err);
      }
    }, Math.max(0, Math.min(delayMs, 2_147_483_647)));
    handle.unref();
    this.handles.set(key, handle);
  }

  clear(key: string): void {
    const handle = this.handles.get(key);
    if (handle) clearTimeout(handle);
    this.handles.delete(key);
  }

  clearPrefix(prefix: string): void {
    for (const key of [...this.handles.keys()]) if (key.startsWith(prefix)) this.clear(key);
  }

  clearAll(): void {
    for (const handle of this.handles.values()) clearTimeout(handle);
    this.handles.clear();
  }
}
