import { mulberry32 } from '../../lib/core/random';

/**
 * Deterministic inputs: sentences of ~100 bytes drawn from a fixed vocabulary with a skewed
 * (Zipf-like) distribution, as word counts see in text. Same seed, same records, in every arm.
 */

/** A seeded PRNG, so every arm and every run sees the same input. */
export const prng = mulberry32;

export function vocabulary(size: number): string[] {
  const words: string[] = [];
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  for (let i = 0; i < size; i++) {
    let word = '';
    let n = i;
    do {
      word += letters[n % 26];
      n = Math.floor(n / 26);
    } while (n > 0);
    words.push(`${word}${letters[(i * 7) % 26]}${letters[(i * 11) % 26]}`);
  }
  return words;
}

/** `count` sentences of about `bytes` characters each. */
export function sentences(
  count: number,
  options: { seed?: number; vocabulary?: number; bytes?: number } = {},
) {
  const random = prng(options.seed ?? 42);
  const words = vocabulary(options.vocabulary ?? 10_000);
  const target = options.bytes ?? 100;
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    let sentence = '';
    while (sentence.length < target - 8) {
      // Skewed: squaring a uniform draw favours the first words of the vocabulary.
      const r = random();
      const word = words[Math.floor(r * r * words.length)]!;
      sentence = sentence.length === 0 ? word : `${sentence} ${word}`;
    }
    out[i] = sentence.padEnd(target, '.');
  }
  return out;
}
