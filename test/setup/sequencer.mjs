// jest testSequencer: the chaos suite first, then Jest's own order. On a fresh clone Jest has no timings and
// starts the largest files first; the chaos suite is a small file that runs for minutes, and started last it
// would add all of them to the run's end instead of sharing the time with the other worker.
import Sequencer from '@jest/test-sequencer';

const rank = (test) => (test.path.includes('/test/chaos/') ? 0 : 1);

export default class ChaosFirst extends Sequencer {
  sort(tests) {
    return super.sort(tests).sort((a, b) => rank(a) - rank(b));
  }
}
