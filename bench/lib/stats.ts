/** Small statistics over repeated measurements: medians and the spread of paired ratios. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, v) => sum + v, 0) / values.length;
}

export function min(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.min(...values);
}

export function max(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.max(...values);
}

/**
 * A ratio measured side by side: the median of the per-round ratios (each round ran both arms
 * back to back, so machine noise hits both), with their min and max as the spread.
 */
export interface Ratio {
  median: number;
  min: number;
  max: number;
  /** one ratio per measured round */
  rounds: number[];
}

export function ratioOf(numerators: readonly number[], denominators: readonly number[]): Ratio {
  const rounds = numerators.map((n, i) => n / denominators[i]!);
  return { median: median(rounds), min: min(rounds), max: max(rounds), rounds };
}
