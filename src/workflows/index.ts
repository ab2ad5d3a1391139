/** Every workflow the worker registers; the exported names are the workflow types. */
export { diagnostics } from './diagnostics.js';
export { supervisor_lock } from './lock.js';
export { pause_watcher } from './pause-watcher.js';
export { restart_watcher } from './restart-watcher.js';
export { resume_watcher } from './resume-watcher.js';
export { rollback_code } from './rollback-code.js';
export { update_code } from './update-code.js';
export { update_code_deps } from './update-code-deps.js';
export { verify_db } from './verify-db.js';
