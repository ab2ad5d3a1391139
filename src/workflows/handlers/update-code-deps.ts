import type { HandlerInput, HandlerResultOf } from '../../contract/handlers.js';
import { runHandler } from './run-handler.js';
import { updateCode } from './update-saga.js';

/** SPEC update_code_deps: update_code plus the configured dependency install, same compensation. */
export async function update_code_deps(input: HandlerInput): Promise<HandlerResultOf<'update_code_deps'>> {
  return runHandler(input, { exclusive: true }, (ctx) => updateCode(ctx, true));
}
