import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createFileStore } from '../../../lib/store/file';
import { createMemoryStore } from '../../../lib/store/memory';
import { checkTimeExactlyOnce } from '../../checkpoint/time-property';

// Replay a failure with SLUICE_PROPERTY_SEED=<seed> (fast-check prints it with the shrunk schedule).
it('emits every window result once with the reference value, and fires every timer once, under out-of-order times, ticks racing batches, faults at every point, crashes and re-deliveries', async () => {
  const stats = await checkTimeExactlyOnce(() => createMemoryStore(), 300);
  console.log('time property (memory):', JSON.stringify(stats));
  expect(stats.schedules).toBeGreaterThanOrEqual(300);
  expect(stats.results).toBeGreaterThan(0);
  expect(stats.late).toBeGreaterThan(0);
  expect(stats.processingTimers).toBeGreaterThan(0);
  expect(stats.races).toBeGreaterThan(0);
}, 180_000);

it('holds with idle partitions whose stream time the tick advances (the reference applies each committed advance where it happened)', async () => {
  const stats = await checkTimeExactlyOnce(() => createMemoryStore(), 200, { idleAdvanceMs: 90_000 });
  console.log('time property, idle advance (memory):', JSON.stringify(stats));
  expect(stats.advances).toBeGreaterThan(0);
  expect(stats.results).toBeGreaterThan(0);
}, 180_000);

const root = mkdtempSync(join(tmpdir(), 'sluice-time-property-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('holds on the file store too (snapshots and deltas of reserved keys)', async () => {
  let n = 0;
  const stats = await checkTimeExactlyOnce(
    () => createFileStore(join(root, String(n++)), { snapshotEvery: 3 }),
    40,
  );
  console.log('time property (file):', JSON.stringify(stats));
  expect(stats.schedules).toBeGreaterThanOrEqual(40);
}, 180_000);
