import { expect, it } from 'vitest';
import { type AwsStoreOptions, createAwsStore } from '../../../lib/store/aws';
import { createAwsClients } from '../../../lib/store/aws-clients';
import { ensureAwsResources } from '../../../lib/store/aws-setup';
import { checkExactlyOnce } from '../../checkpoint/exactly-once-property';
import { uniqueName } from '../helpers/unique-name';

// The randomised exactly-once property against DynamoDB Local + moto, with a tiny inline limit
// so state spills to S3 within a schedule: every other schedule compacts whole snapshots often,
// the others merge deltas (fan-in 2, snapshots rewritten only by the chain bound). One table per
// schedule (tasks of the test function would otherwise collide); fewer schedules than in
// memory, as each costs I/O.
it('applies every record exactly once on the aws store, through spills, merges and compactions', async () => {
  const clients = createAwsClients();
  const bucket = uniqueName('sluice-eo');
  await ensureAwsResources({ table: uniqueName('sluice-eo'), bucket, ...clients });
  const layouts: Array<Partial<AwsStoreOptions>> = [
    { inlineStateLimitBytes: 64, compactAfterDeltas: 3 },
    { inlineStateLimitBytes: 0, compactAfterDeltas: 6, deltaFanIn: 2, chainToSnapshotRatio: 64 },
  ];
  let schedule = 0;
  const writes = { merges: 0, compactions: 0 };
  const stats = await checkExactlyOnce(async () => {
    const table = uniqueName('sluice-eo');
    await ensureAwsResources({ table, bucket, ...clients });
    const store = createAwsStore({ table, bucket, ...clients, ...layouts[schedule++ % layouts.length] });
    const commit = store.commit.bind(store);
    store.commit = async (request) => {
      const result = await commit(request);
      if (result.merged > 0) writes.merges++;
      if (result.compacted) writes.compactions++;
      return result;
    };
    return store;
  }, 25);
  console.log('exactly-once property (aws):', JSON.stringify({ ...stats, ...writes }));
  expect(stats.schedules).toBe(25);
  expect(writes.merges).toBeGreaterThan(0);
  expect(writes.compactions).toBeGreaterThan(0);
  clients.dynamodb.destroy();
  clients.s3.destroy();
}, 300_000);

// The quarantine's reserved state keys through the same spills, merges and compactions.
it("keeps the quarantine exactly-once on the aws store (onError: 'quarantine-key', poison records, replay after a fix)", async () => {
  const clients = createAwsClients();
  const bucket = uniqueName('sluice-eoq');
  await ensureAwsResources({ table: uniqueName('sluice-eoq'), bucket, ...clients });
  const stats = await checkExactlyOnce(
    async () => {
      const table = uniqueName('sluice-eoq');
      await ensureAwsResources({ table, bucket, ...clients });
      return createAwsStore({ table, bucket, ...clients, inlineStateLimitBytes: 64, compactAfterDeltas: 3 });
    },
    10,
    'quarantine',
  );
  console.log('exactly-once property (aws, quarantine):', JSON.stringify(stats));
  expect(stats.schedules).toBe(10);
  clients.dynamodb.destroy();
  clients.s3.destroy();
}, 300_000);
