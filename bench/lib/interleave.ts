/**
 * Interleaved A/B(/C...) measurement: every round runs each arm once, back to back, rotating
 * which arm goes first (A B, B A, A B, ...), after warm-up rounds that are thrown away. On a
 * shared, noisy 2-core machine absolute timings drift by tens of percent from minute to minute;
 * arms measured side by side within one round see the same drift, so their ratio is stable.
 */

export interface Arm {
  name: string;
  /** One measurement (a rate, a duration, a byte count: the caller knows which). */
  run(round: number): Promise<number>;
}

export interface InterleaveOptions {
  arms: Arm[];
  warmup: number;
  rounds: number;
  /** progress lines (stderr by default) */
  log?: (line: string) => void;
  /** prefix of progress lines */
  label?: string;
  /** formats one measurement for progress lines */
  format?: (value: number) => string;
}

/** Measured values per arm name, one per measured round (warm-ups excluded), in round order. */
export type Measurements = Record<string, number[]>;

export async function interleave(options: InterleaveOptions): Promise<Measurements> {
  const { arms, warmup, rounds } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const format = options.format ?? ((value: number) => value.toPrecision(4));
  const results: Measurements = Object.fromEntries(arms.map((arm) => [arm.name, [] as number[]]));
  for (let round = 0; round < warmup + rounds; round++) {
    const measured = round >= warmup;
    const order = arms.map((_, i) => arms[(i + round) % arms.length]!);
    const parts: string[] = [];
    for (const arm of order) {
      const value = await arm.run(round);
      if (measured) results[arm.name]!.push(value);
      parts.push(`${arm.name}=${format(value)}`);
    }
    const tag = measured ? `round ${round - warmup + 1}/${rounds}` : `warm-up ${round + 1}/${warmup}`;
    log(`  ${options.label ? `${options.label} ` : ''}${tag}: ${parts.join('  ')}`);
  }
  return results;
}

/** Wall time of `work` in milliseconds (high resolution). */
export async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}
