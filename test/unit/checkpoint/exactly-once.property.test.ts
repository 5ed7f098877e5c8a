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
