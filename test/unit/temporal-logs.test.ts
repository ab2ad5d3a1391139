import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../src/observability/logger.js';
import { TemporalLogAdapter } from '../../src/observability/temporal-logs.js';

describe('Temporal log forwarding', () => {
  it('maps SDK levels and metadata onto the pino logger', () => {
    const lines: string[] = [];
    const { logger } = createLogger({ level: 'debug', console: { write: (line) => lines.push(line) } });
    const adapter = new TemporalLogAdapter(logger.child({ component: 'temporal' }));
    adapter.warn('Workflow task failed', { workflowId: 'w1/task_1', sdkComponent: 'worker' });
    adapter.log('DEBUG', 'polling');
    adapter.trace('too chatty');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /\[WARN\] Workflow task failed \{"component":"temporal","workflowId":"w1\/task_1","sdkComponent":"worker"\}\n$/,
    );
    expect(lines[1]).toMatch(/\[DEBUG\] polling \{"component":"temporal"\}\n$/);
  });
});
