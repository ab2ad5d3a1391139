import type { HandlerInput, HandlerResultOf } from '../../contract/handlers.js';
import { runHandler } from './run-handler.js';
import { updateCode } from './update-saga.js';

/** SPEC update_code: fast-forward pull with compensation (update-saga.ts). */
export async function update_code(input: HandlerInput): Promise<HandlerResultOf<'update_code'>> {
  return runHandler(input, { exclusive: true }, (ctx) => updateCode(ctx, false));
}
