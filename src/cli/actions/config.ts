import type { Command } from 'commander';
import { configFor } from '../common.js';

/** Keys whose values never leave the process: printed as `***`. */
const SECRET_KEYS = /password|secret|key|token|url/i;

/** Everything under a secret key is secret too: `http.operator_tokens.alice` is a token. */
function redact(value: unknown, secret = false): unknown {
  if (typeof value === 'string' && secret) return '***';
  if (Array.isArray(value)) return value.map((item) => redact(item, secret));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, secret || SECRET_KEYS.test(k))]));
  }
  return value;
}

/** `supervisor config`: the resolved configuration, secrets redacted, unusable sections named. */
export async function runConfig(command: Command): Promise<void> {
  const { config, source, unusable } = await configFor(command);
  // The section is left out of what follows: say so, with the variable, rather than look unconfigured.
  const notes = Object.entries(unusable).map(
    ([section, error]) =>
      `# ${section}: unusable until set: ${error.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}\n`,
  );
  const verdict =
    notes.length === 0 ? 'valid' : 'valid except the sections below (commands that need them refuse to run)';
  process.stdout.write(`# ${source}: ${verdict}\n${notes.join('')}${JSON.stringify(redact(config), null, 2)}\n`);
}
