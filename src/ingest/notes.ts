import type { Logger } from '../observability/logger.js';
import { decisionReadingOf, parseFlagName } from '../flags/index.js';
import { fileIdentity } from './process.js';
import type { Waiting } from './scan.js';

/**
 * What the ingest has already said about entries that stay in the inbox, so each is reported once and not
 * read again on every pass: another host's flags, bad entries that could not be moved aside, and flags
 * whose handling failed locally. Forgotten when the entry goes or changes, so a new one is reported anew.
 */
export class InboxNotes {
  private readonly foreignNames = new Set<string>();
  /** name → identity of an entry left in place; skipped while it is unchanged. */
  private readonly left = new Map<string, string>();
  /** name → the kind of the last failure logged for it. */
  private readonly failures = new Map<string, string>();

  constructor(private readonly logger: Logger) {}

  /** Names for workers this ingest does not serve: other hosts' business, said once (at debug for a valid name). */
  foreign(names: readonly string[]): void {
    const present = new Set(names);
    for (const name of this.foreignNames) if (!present.has(name)) this.foreignNames.delete(name);
    for (const name of names) {
      if (this.foreignNames.has(name)) continue;
      this.foreignNames.add(name);
      const parsed = parseFlagName(name);
      const owner = parsed.ok ? parsed.workerId : decisionReadingOf(name)?.workerId;
      if (owner !== undefined)
        this.logger.debug(
          { file: name, worker_id: owner },
          'flag for a worker this ingest does not serve; left in the inbox for its host',
        );
      else
        this.logger.warn(
          { file: name, problem: parsed.ok ? 'is malformed' : parsed.message },
          'malformed flag name that no worker id served here ends; left in the inbox (the host whose worker id ends the name rejects it; if there is none, rename or remove it)',
        );
    }
  }

  /** The waiting flags minus those left in place and unchanged since; forgets names that are gone. */
  unsettled(flags: readonly Waiting[]): Waiting[] {
    const present = new Map(flags.map((flag) => [flag.name, fileIdentity(flag.stats)]));
    for (const [name, identity] of this.left) if (present.get(name) !== identity) this.left.delete(name);
    for (const name of this.failures.keys()) if (!present.has(name)) this.failures.delete(name);
    return flags.filter((flag) => !this.left.has(flag.name));
  }

  leave(flag: Waiting): void {
    this.left.set(flag.name, fileIdentity(flag.stats));
  }

  failed(flag: Waiting, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    // By errno code where there is one: messages carry temp names that differ on every try.
    const kind = (error as NodeJS.ErrnoException).code ?? message;
    if (this.failures.get(flag.name) === kind) return;
    this.failures.set(flag.name, kind);
    this.logger.error(
      { file: flag.name, error: message },
      'could not handle this flag (local failure); it stays in the inbox and is retried, the other flags go on',
    );
  }
}
