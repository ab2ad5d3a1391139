/** The real server's processBuffer (buffer.go): what to start now, what stays buffered, whom to cancel. */
import type { BufferedStart } from './state.js';
import { Overlap } from './state.js';

export interface BufferAction {
  /** ALLOW_ALL starts: all at once. */
  overlapping: BufferedStart[];
  /** At most one other start, when nothing runs. */
  nonOverlapping: BufferedStart | null;
  rest: BufferedStart[];
  needCancel: boolean;
  needTerminate: boolean;
  skipped: number;
}

export function processBuffer(
  buffer: BufferedStart[],
  isRunning: boolean,
  resolve: (p: number) => number,
): BufferAction {
  const a: BufferAction = {
    overlapping: [],
    nonOverlapping: null,
    rest: [],
    needCancel: false,
    needTerminate: false,
    skipped: 0,
  };
  for (const start of buffer) {
    const policy = resolve(start.overlapPolicy);
    if (policy === Overlap.ALLOW_ALL) {
      a.overlapping.push(start);
      continue;
    }
    if (!isRunning && a.nonOverlapping === null) {
      a.nonOverlapping = start;
      continue;
    }
    switch (policy) {
      case Overlap.BUFFER_ONE:
        if (a.rest.length === 0) a.rest.push(start);
        else a.skipped++;
        break;
      case Overlap.BUFFER_ALL:
        a.rest.push(start);
        break;
      case Overlap.CANCEL_OTHER:
      case Overlap.TERMINATE_OTHER:
        if (isRunning) {
          if (policy === Overlap.CANCEL_OTHER) a.needCancel = true;
          else a.needTerminate = true;
          // Started once the running one has closed.
          a.rest.push(start);
        } else {
          // Nothing really runs yet: this one replaces the start we were about to make.
          a.nonOverlapping = start;
        }
        break;
      default:
        a.skipped++;
    }
  }
  // Anything overlapping would be cancelled/terminated straight away, so it is not started at all.
  if (a.needCancel || a.needTerminate) a.overlapping = [];
  return a;
}
