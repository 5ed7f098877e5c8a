/**
 * The short chaos run (the long one is `npm run chaos`): ~5k records through the trigger emulator
 * in a child process, SIGKILLed 5 times at seeded random moments and restarted; every output
 * exactly once and in order per key (kcat read_committed), state equal to the reference fold.
 */
import { expect, it } from 'vitest';
import { runChaos } from '../../chaos/chaos-run';
import { injectedStack } from '../helpers/stack';

it('survives 5 SIGKILLs of the emulator: outputs exactly once, state = fold', async () => {
  injectedStack(); // the global setup started the stack and exported its endpoints
  const seed = Number(process.env.SLUICE_CHAOS_SEED ?? 7);
  const summary = await runChaos({ seed, records: 5_000, kills: 5, batchSize: 10, log: () => {} });
  console.log('chaos (short):', JSON.stringify({ ...summary, names: undefined }));
  expect(summary.kills).toBe(5);
  expect(summary.consumed).toBe(true);
  expect(summary.outputs, summary.examples.join('; ')).toMatchObject({
    expected: summary.outputs.expected,
    seen: summary.outputs.expected,
    duplicated: 0,
    missing: 0,
    outOfOrder: 0,
    misplaced: 0,
  });
  expect(summary.stateMismatches).toBe(0);
  expect(summary.ok).toBe(true);
}, 600_000);
