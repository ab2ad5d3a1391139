import path from 'node:path';
import { isIgnoredName, servedWorkerOf } from '../flags/index.js';
import { fileIdentity } from './process.js';
import { entryKey, inStartOrder, listWaiting, lstatAll, waitingOf } from './scan.js';
import type { Listing, Waiting } from './scan.js';

/**
 * What native watching knows of the inbox between passes: the served flags waiting and the names of other
 * hosts' flags. A full look lists the folder and lstat-s every entry (the start-up scan, the periodic
 * rescan, idle(), a retry, an event without a usable name); otherwise only the names the events named are
 * looked at, since every change to an entry is an event naming it. A burst is then one listing and one
 * lstat an event, not a listing an event (1,000 flags made passes over up to 1,000 entries each; issue 16).
 */
export class InboxView {
  private readonly flags = new Map<string, Waiting>();
  private readonly foreign = new Set<string>();
  private readonly changed = new Set<string>();
  private all = true;

  constructor(
    private readonly inbox: string,
    private readonly served: readonly string[],
  ) {}

  /** An event named `name` ('' for none): the next pass looks at it. */
  touched(name: string): void {
    // fs.watch decodes a name that is not UTF-8 with U+FFFD, a name no entry has: list the folder instead.
    if (name === '' || name.includes('\uFFFD')) this.all = true;
    else this.changed.add(name);
  }

  /** `flag` left the inbox (we removed it): no need to wait for its event; a newer file by its name stays. */
  forget(flag: Waiting): void {
    const known = this.flags.get(entryKey(flag));
    if (known !== undefined && fileIdentity(known.stats) === fileIdentity(flag.stats))
      this.flags.delete(entryKey(flag));
  }

  /** The next pass looks at everything. */
  lookAgain(): void {
    this.all = true;
  }

  /**
   * Brings the view up to date; the listing when an entry appeared or changed, else undefined: the lanes
   * have what they need (a flag that went needs nothing: a lane that still has it queued finds it gone).
   * `skip`: entries being handled, left out of a full look like listWaiting's.
   */
  async update(skip: (key: string) => boolean): Promise<Listing | undefined> {
    if (this.all) {
      this.all = false;
      this.changed.clear();
      const listing = await listWaiting(this.inbox, { served: this.served, pollInterval: 0, skip });
      this.flags.clear();
      for (const flag of listing.flags) this.flags.set(entryKey(flag), flag);
      this.foreign.clear();
      for (const name of listing.foreign) this.foreign.add(name);
      return listing;
    }
    const names = [...this.changed].filter((name) => !isIgnoredName(name));
    this.changed.clear();
    const stats = await lstatAll(names.map((name) => path.join(this.inbox, name)));
    let grew = false;
    names.forEach((name, i) => {
      const stat = stats[i];
      const workerId = servedWorkerOf(name, this.served);
      if (workerId === undefined) {
        if (stat === undefined) this.foreign.delete(name);
        else if (!this.foreign.has(name)) {
          this.foreign.add(name);
          grew = true;
        }
        return;
      }
      if (stat === undefined) {
        this.flags.delete(name);
        return;
      }
      const known = this.flags.get(name);
      if (known !== undefined && fileIdentity(known.stats) === fileIdentity(stat)) return;
      this.flags.set(name, waitingOf({ name, path: path.join(this.inbox, name) }, workerId, stat));
      grew = true;
    });
    if (!grew) return undefined;
    return { flags: inStartOrder([...this.flags.values()]), foreign: [...this.foreign], unsettled: false };
  }
}
