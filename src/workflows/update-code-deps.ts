import type { HandlerInput, HandlerResult } from './definitions.js';
import { runHandler } from './handler.js';
import { updateCode } from './update.js';

/** SPEC update_code_deps: update_code plus the configured dependency install, same compensation. */
export async function update_code_deps(input: HandlerInput): Promise<HandlerResult> {
  return runHandler(input, { exclusive: true }, (ctx) => updateCode(ctx, true));
}
