/** The eight handler workflows by handler name: what the ingest and the CLI start a flag with. */
import type { HandlerInput, HandlerResultOf } from '../../contract/handlers.js';
import type { Handler } from '../../flags/handlers.js';
import { diagnostics } from './diagnostics.js';
import { pause_watcher } from './pause-watcher.js';
import { restart_watcher } from './restart-watcher.js';
import { resume_watcher } from './resume-watcher.js';
import { rollback_code } from './rollback-code.js';
import { update_code } from './update-code.js';
import { update_code_deps } from './update-code-deps.js';
import { verify_db } from './verify-db.js';

/** A handler's workflow function; its name is the workflow type, the handler's own name. */
export type HandlerWorkflow<H extends Handler = Handler> = (input: HandlerInput) => Promise<HandlerResultOf<H>>;

export const HANDLER_WORKFLOWS: { readonly [H in Handler]: HandlerWorkflow<H> } = {
  update_code,
  update_code_deps,
  rollback_code,
  pause_watcher,
  resume_watcher,
  restart_watcher,
  diagnostics,
  verify_db,
};
