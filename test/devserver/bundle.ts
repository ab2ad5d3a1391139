/** The conformance workflows (test/devserver/workflows), bundled once per content hash. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedWorkflowBundle, tsFilesOf } from '../helpers/bundle-cache.js';

const workflowsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'workflows');

export async function loadWorkflowBundle(): Promise<{ code: string }> {
  return cachedWorkflowBundle(path.join(workflowsDir, 'index.ts'), await tsFilesOf(workflowsDir));
}
