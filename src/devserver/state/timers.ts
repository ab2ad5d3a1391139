/** Engine timers (derived from mutable state): keyed so they can be replaced and cancelled; unref'd. */
const MAX_TIMEOUT_MS = 2_147_483_647;

export class Timers {
  private readonly handles = new Map<string, NodeJS.Timeout>();
  /** Keys by group (the part before the first ':', a run id), so closing a run is cheap. */
  private readonly groups = new Map<string, Set<string>>();

  /** A failing timer callback is reported here instead of crashing the process. */
  constructor(private readonly onError: (key: string, err: unknown) => void) {}

  set(key: string, delayMs: number, fn: () => void): void {
    this.clear(key);
    this.arm(key, Date.now() + Math.max(0, delayMs), fn);
  }

  /** setTimeout caps at ~24.8 days, so long timers (a workflow sleeping for a month) re-arm until due. */
  private arm(key: string, due: number, fn: () => void): void {
    const handle = setTimeout(
      () => {
        if (Date.now() < due) {
          this.arm(key, due, fn);
          return;
        }
        this.forget(key);
        try {
          fn();
        } catch (err) {
          this.onError(key, err);
        }
      },
      Math.min(Math.max(0, due - Date.now()), MAX_TIMEOUT_MS),
    );
    handle.unref();
    this.handles.set(key, handle);
    const group = groupOf(key);
    let keys = this.groups.get(group);
    if (!keys) {
      keys = new Set();
      this.groups.set(group, keys);
    }
    keys.add(key);
  }

  clear(key: string): void {
    const handle = this.handles.get(key);
    if (handle) clearTimeout(handle);
    this.forget(key);
  }

  /** Clears every timer whose key starts with `${group}:`. */
  clearGroup(group: string): void {
    for (const key of [...(this.groups.get(group) ?? [])]) this.clear(key);
  }

  private forget(key: string): void {
    this.handles.delete(key);
    const group = groupOf(key);
    const keys = this.groups.get(group);
    keys?.delete(key);
    if (keys?.size === 0) this.groups.delete(group);
  }

  clearAll(): void {
    for (const handle of this.handles.values()) clearTimeout(handle);
    this.handles.clear();
    this.groups.clear();
  }
}

function groupOf(key: string): string {
  const i = key.indexOf(':');
  return i < 0 ? key : key.slice(0, i);
}
