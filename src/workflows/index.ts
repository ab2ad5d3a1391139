/**
 * Every workflow the worker registers; the exported names are the workflow types. A handler can be
 * started without a flag file, e.g. on a real cluster:
 *   temporal workflow start --type rollback_code --task-queue supervisor-<workerId> \
 *     --workflow-id <workerId>/<task_id> --input '{"task_id":"<task_id>","handler":"rollback_code","params":{"commits_back":2}}'
 */
export { diagnostics } from './diagnostics.js';
export { health_check } from './health-check.js';
export { supervisor_keepalive } from './keep-alive.js';
export { supervisor_lock } from './lock.js';
export { pause_watcher } from './pause-watcher.js';
export { restart_watcher } from './restart-watcher.js';
export { resume_watcher } from './resume-watcher.js';
export { rollback_code } from './rollback-code.js';
export { update_code } from './update-code.js';
export { update_code_deps } from './update-code-deps.js';
export { verify_db } from './verify-db.js';
