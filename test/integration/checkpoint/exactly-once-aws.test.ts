import { expect, it } from 'vitest';
import { createAwsStore } from '../../../lib/store/aws';
import { createAwsClients } from '../../../lib/store/aws-clients';
import { ensureAwsResources } from '../../../lib/store/aws-setup';
import { checkExactlyOnce } from '../../checkpoint/exactly-once-property';
import { uniqueName } from '../helpers/unique-name';

// The randomised exactly-once property against DynamoDB Local + moto, with a tiny inline limit
// so state spills to S3 and compacts within a schedule. One table per schedule (tasks of the
// test function would otherwise collide); fewer schedules than in memory, as each costs I/O.
it('applies every record exactly once on the aws store, through spills and compactions', async () => {
  const clients = createAwsClients();
  const bucket = uniqueName('sluice-eo');
  await ensureAwsResources({ table: uniqueName('sluice-eo'), bucket, ...clients });
  const stats = await checkExactlyOnce(async () => {
    const table = uniqueName('sluice-eo');
    await ensureAwsResources({ table, bucket, ...clients });
    return createAwsStore({ table, bucket, ...clients, inlineStateLimitBytes: 64, compactAfterDeltas: 3 });
  }, 25);
  console.log('exactly-once property (aws):', JSON.stringify(stats));
  expect(stats.schedules).toBe(25);
  clients.dynamodb.destroy();
  clients.s3.destroy();
}, 300_000);
