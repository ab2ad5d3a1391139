import type { HandlerInput, HandlerResult } from './definitions.js';
import { runHandler } from './handler.js';
import { updateCode } from './update.js';

/** SPEC update_code: fast-forward pull with compensation (update.ts). */
export async function update_code(input: HandlerInput): Promise<HandlerResult> {
  return runHandler(input, { exclusive: true }, (ctx) => updateCode(ctx, false));
}
