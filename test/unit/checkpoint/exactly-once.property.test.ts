import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createFileStore } from '../../../lib/store/file';
import { createMemoryStore } from '../../../lib/store/memory';
import { checkExactlyOnce } from '../../checkpoint/exactly-once-property';

// fast-check prints the seed and the shrunk schedule on failure; replay one with
// SLUICE_PROPERTY_SEED=<seed>.
it('applies every record exactly once under random faults, re-deliveries, zombies, stale instances, weeks of quiet, expired markers, two deployments and unpublishable outputs (memory store)', async () => {
  const stats = await checkExactlyOnce(() => createMemoryStore(), 300);
  console.log('exactly-once property (memory):', JSON.stringify(stats));
  expect(stats.schedules).toBeGreaterThanOrEqual(300);
  expect(stats.faults).toBeGreaterThan(0);
  expect(stats.reruns).toBeGreaterThan(0);
  expect(stats.confirmed).toBeGreaterThan(0);
  expect(stats.expiredMarkers).toBeGreaterThan(0);
  expect(stats.unpublishable).toBeGreaterThan(0);
  expect(stats.savepoints).toBeGreaterThan(0);
  expect(stats.rewinds).toBeGreaterThan(0);
}, 120_000);

const root = mkdtempSync(join(tmpdir(), 'sluice-property-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('holds on the file store too', async () => {
  let n = 0;
  const stats = await checkExactlyOnce(
    () => createFileStore(join(root, String(n++)), { snapshotEvery: 4 }),
    60,
  );
  console.log('exactly-once property (file):', JSON.stringify(stats));
  expect(stats.schedules).toBeGreaterThanOrEqual(60);
}, 120_000);

it("keeps exactly-once with poison records under onError: 'quarantine-key': state is the fold of the records not quarantined, the quarantine holds exactly the poisoned keys' records in order, and a replay after the fix yields the fold of everything", async () => {
  const stats = await checkExactlyOnce(() => createMemoryStore(), 200, 'quarantine');
  console.log('exactly-once property (quarantine):', JSON.stringify(stats));
  expect(stats.schedules).toBeGreaterThanOrEqual(200);
  expect(stats.replayed).toBeGreaterThan(0);
  expect(stats.faults).toBeGreaterThan(0);
  expect(stats.unpublishable).toBe(0);
}, 180_000);

it('keeps the quarantine exactly-once on the file store too (snapshots and deltas)', async () => {
  let n = 0;
  const stats = await checkExactlyOnce(
    () => createFileStore(join(root, `q${n++}`), { snapshotEvery: 4 }),
    40,
    'quarantine',
  );
  console.log('exactly-once property (quarantine, file):', JSON.stringify(stats));
  expect(stats.schedules).toBeGreaterThanOrEqual(40);
}, 120_000);
