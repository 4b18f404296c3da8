/**
 * Exact floating-point summation (Shewchuk's algorithm, as in Python's `math.fsum`).
 *
 * Why: a plain `+=` gives a result that depends on the order of the addends, and the window
 * contract says results depend only on the events, never on arrival order. The partials
 * hold the exact sum as non-overlapping doubles, so the rounded result is the correctly
 * rounded sum of the multiset of values, whatever the order they were added in.
 */

/** Adds `value` to `partials` in place. */
export function addToPartials(partials: number[], value: number): void {
  let x = value;
  let i = 0;
  for (let j = 0; j < partials.length; j++) {
    let y = partials[j];
    if (Math.abs(x) < Math.abs(y)) {
      const t = x;
      x = y;
      y = t;
    }
    const hi = x + y;
    const lo = y - (hi - x);
    if (lo !== 0) partials[i++] = lo;
    x = hi;
  }
  partials.length = i;
  partials.push(x);
}

/** The correctly rounded value of the exact sum the partials represent. */
export function partialsValue(partials: readonly number[]): number {
  let n = partials.length;
  if (n === 0) return 0;
  let hi = partials[--n];
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n];
    hi = x + y;
    const yr = hi - x;
    lo = y - yr;
    if (lo !== 0) break;
  }
  // Round half to even across the remaining partials, as fsum does.
  if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
    const y = lo * 2;
    const x = hi + y;
    const yr = x - hi;
    if (y === yr) hi = x;
  }
  return hi + 0;
}
