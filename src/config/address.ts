/** Light on purpose (types only): every CLI command resolves its Temporal address through it. */
import type { Config } from './schema.js';

/** host:port of the Temporal frontend this configuration talks to (the engine's or dev server's when it runs one). */
export function frontendAddress(config: Config): string {
  const { address, embedded, temporal_cli: temporalCli } = config.temporal;
  if (address === 'embedded') return `${embedded.host}:${embedded.port}`;
  return address === 'temporal-cli' ? `${temporalCli.host}:${temporalCli.port}` : address;
}
