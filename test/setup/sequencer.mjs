// jest testSequencer: Jest's own order, with the chaos suite first and the engine's SIGKILL suite last. On a fresh
// clone Jest has no timings and starts the largest files first; the chaos suite is a small file that runs for
// minutes (started last it would add all of them to the run's end), and the two suites that SIGKILL engines
// slow each other several times over when they overlap (CI: devserver/crash past its 420 s beside the chaos run).
import Sequencer from '@jest/test-sequencer';

const rank = (test) => {
  if (test.path.includes('/test/chaos/')) return 0;
  return test.path.endsWith('/test/devserver/crash.test.ts') ? 2 : 1;
};

export default class SuiteOrder extends Sequencer {
  sort(tests) {
    return super.sort(tests).sort((a, b) => rank(a) - rank(b));
  }
}
