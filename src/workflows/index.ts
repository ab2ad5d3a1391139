/**
 * Every workflow the worker registers; the exported names are the workflow types (saved histories and
 * running workflows depend on them: never rename). A handler can be started without a flag file, e.g.
 * on a real cluster:
 *   temporal workflow start --type rollback_code --task-queue supervisor-<workerId> \
 *     --workflow-id <workerId>/<task_id> --input '{"task_id":"<task_id>","handler":"rollback_code","params":{"commits_back":2}}'
 * The bundle reads src/workflows/** plus src/contract/** and src/flags/{handlers,schema}.ts.
 */
export { diagnostics } from './handlers/diagnostics.js';
export { pause_watcher } from './handlers/pause-watcher.js';
export { restart_watcher } from './handlers/restart-watcher.js';
export { resume_watcher } from './handlers/resume-watcher.js';
export { rollback_code } from './handlers/rollback-code.js';
export { update_code } from './handlers/update-code.js';
export { update_code_deps } from './handlers/update-code-deps.js';
export { verify_db } from './handlers/verify-db.js';
export { supervisor_lock } from './lock/lock.js';
export { health_check } from './supervision/health-check.js';
export { supervisor_keepalive } from './supervision/keep-alive.js';
