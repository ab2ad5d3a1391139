/**
 * One line per measured figure, as issue 16 asks: the value, its target and whether it is met, and a ratio
 * against a baseline measured in the same run (a peer, or another mode of ours) when there is one.
 *
 *   target  restart p50           83 ms  (target <= 100 ms: met)  x0.41 of pm2 (203 ms)
 */
export interface Figure {
  /** What was measured, e.g. `restart p50`. */
  name: string;
  value: number;
  unit: string;
  /** The target, and which side of it is good. */
  target?: { limit: number; atMost: boolean };
  /** The same figure for a baseline in the same run: printed as value / baseline. */
  baseline?: { name: string; value: number };
}

const shown = (value: number, unit: string): string =>
  `${Number.isInteger(value) || Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(1)} ${unit}`;

/** Two decimals; a ratio far below 1 (1 ms against 4 s) with two significant digits, not as 0.00. */
const ratioText = (ratio: number): string =>
  ratio !== 0 && Math.abs(ratio) < 0.01 ? ratio.toPrecision(2) : ratio.toFixed(2);

export function figureLine({ name, value, unit, target, baseline }: Figure): string {
  const parts = [`target  ${name.padEnd(36)} ${shown(value, unit).padStart(12)}`];
  if (target !== undefined) {
    const met = target.atMost ? value <= target.limit : value >= target.limit;
    parts.push(`(target ${target.atMost ? '<=' : '>='} ${shown(target.limit, unit)}: ${met ? 'met' : 'MISSED'})`);
  }
  if (baseline !== undefined && baseline.value > 0)
    parts.push(`x${ratioText(value / baseline.value)} of ${baseline.name} (${shown(baseline.value, unit)})`);
  return parts.join('  ');
}

/** Prints the figure's line on stdout. */
export function printFigure(figure: Figure): void {
  process.stdout.write(`${figureLine(figure)}\n`);
}
