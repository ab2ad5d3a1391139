/** The conformance workflows (test/devserver/workflows), bundled once, rebuilt when a source changed. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedWorkflowBundle } from '../helpers/bundle-cache.js';

const workflowsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'workflows');

export function loadWorkflowBundle(): Promise<{ code: string }> {
  return cachedWorkflowBundle(path.join(workflowsDir, 'index.ts'));
}
