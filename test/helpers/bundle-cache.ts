/**
 * Workflow bundles for tests, through the product's own saved-bundle loader (src/workflow-bundle.ts): the
 * first test file to need one builds it and the others (and later runs) reuse it until a file it was built
 * from changes. Kept in the temp dir, one file per workflows entry.
 */
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadWorkflowBundle } from '../../src/workflow-bundle.js';
import { silentLogger } from './config.js';

export function cachedWorkflowBundle(workflowsPath: string): Promise<{ code: string }> {
  const key = createHash('sha256').update(workflowsPath).digest('hex').slice(0, 16);
  const file = path.join(
    tmpdir(),
    'temporal-supervisor-workflow-bundles',
    `${path.basename(workflowsPath, '.ts')}-${key}.js`,
  );
  return loadWorkflowBundle({ workflowsPath, file }, silentLogger);
}
