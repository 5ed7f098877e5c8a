/**
 * `sluice dev --store aws`: against the local stack it creates the missing table and bucket and
 * says so (then runs a batch into them); against AWS it only checks, and a missing table is an
 * error saying that the deployment creates it and which one was looked for.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError } from '../../../../lib/core/errors';
import { createAwsStore } from '../../../../lib/store/aws';
import { createAwsClients } from '../../../../lib/store/aws-clients';
import { DEV_BUCKET, DEV_TABLE, prepareDevAwsStore } from '../../../../tools/cli/dev-aws-store';
import { runCli } from '../../../../tools/cli/main';
import { fakeTerminal, run } from '../../../unit/tools/cli/fake-io';
import { injectedStack } from '../../helpers/stack';
import { uniqueName } from '../../helpers/unique-name';
import { waitFor } from '../../helpers/wait-for';
import { testKafka, testTopicName, upperProject } from './helpers';

function localEnv(): NodeJS.ProcessEnv {
  const stack = injectedStack();
  return {
    AWS_ENDPOINT_URL_DYNAMODB: stack.AWS_ENDPOINT_URL_DYNAMODB,
    AWS_ENDPOINT_URL_S3: stack.AWS_ENDPOINT_URL_S3,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
}

/** Deletes the table and bucket when the test ends. */
function cleanupAws(env: NodeJS.ProcessEnv, table: string, bucket: string) {
  onTestFinished(async () => {
    const { dynamodb, s3 } = createAwsClients(env);
    await dynamodb.send(new DeleteTableCommand({ TableName: table })).catch(() => {});
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => null);
    const keys = (listed?.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length > 0)
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
    await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => {});
    dynamodb.destroy();
    s3.destroy();
  });
}

describe('against a local endpoint', () => {
  it('creates the missing table and bucket, says so, and finds them the next time', async () => {
    const table = uniqueName('dev-table');
    const bucket = uniqueName('dev-bucket');
    const env: NodeJS.ProcessEnv = { ...localEnv(), SLUICE_TABLE: table, SLUICE_BUCKET: bucket };
    cleanupAws(env, table, bucket);
    const { AWS_ENDPOINT_URL_DYNAMODB: ddb, AWS_ENDPOINT_URL_S3: s3 } = env;
    expect(await prepareDevAwsStore(env)).toBe(
      `aws store (local): created DynamoDB table "${table}" at ${ddb}, created S3 bucket "${bucket}" at ${s3}`,
    );
    expect(await prepareDevAwsStore(env)).toBe(
      `aws store (local): found DynamoDB table "${table}" at ${ddb}, found S3 bucket "${bucket}" at ${s3}`,
    );
  });

  it('names them sluice-dev when SLUICE_TABLE and SLUICE_BUCKET are unset', async () => {
    const env = localEnv();
    const seen: string[] = [];
    const line = await prepareDevAwsStore(env, {
      createAwsClients,
      ensureAwsResources: async ({ table, bucket }) => {
        seen.push(table, bucket);
        return { tableCreated: true, bucketCreated: false };
      },
    });
    expect(seen).toEqual([DEV_TABLE, DEV_BUCKET]);
    expect([env.SLUICE_TABLE, env.SLUICE_BUCKET]).toEqual([DEV_TABLE, DEV_BUCKET]);
    expect(line).toContain(`created DynamoDB table "${DEV_TABLE}"`);
    expect(line).toContain(`found S3 bucket "${DEV_BUCKET}"`);
  });

  it('sluice dev --store aws runs a batch into a table that did not exist', async () => {
    const kafka = await testKafka();
    const source = testTopicName(kafka, 'dev-aws-src');
    const out = testTopicName(kafka, 'dev-aws-out');
    await kafka.admin().createTopic(source, { partitions: 1 });
    await kafka.admin().createTopic(out, { partitions: 1 });
    const fn = uniqueName('upper');
    const dir = upperProject({ fn, source, out, group: uniqueName('dev-aws') });
    const env = {
      ...localEnv(),
      SLUICE_KAFKA_BROKERS: injectedStack().SLUICE_KAFKA_BROKERS,
      SLUICE_TABLE: uniqueName('dev-table'),
      SLUICE_BUCKET: uniqueName('dev-bucket'),
      SLUICE_NAMESPACE: 'dev-aws-test',
    };
    cleanupAws(env, env.SLUICE_TABLE, env.SLUICE_BUCKET);
    const terminal = fakeTerminal({ env, cwd: dir });
    const dev = runCli(['dev', '--store', 'aws', '--config', `${dir}/serverless.yml`, '--no-progress'], {
      io: terminal.io,
    });
    await waitFor(() => terminal.stderr().includes('sluice dev'), {
      message: `sluice dev never started: ${terminal.stderr()}`,
    });
    expect(terminal.stderr()).toContain(`aws store (local): created DynamoDB table "${env.SLUICE_TABLE}"`);
    await run(['produce', source], { env, stdin: 'one\ntwo\n' });
    const store = createAwsStore({
      table: env.SLUICE_TABLE,
      bucket: env.SLUICE_BUCKET,
      namespace: env.SLUICE_NAMESPACE,
      ...createAwsClients(env),
    });
    await waitFor(
      async () => (await store.load({ fn, topic: source, partition: 0 }))?.checkpoint.next === 2,
      {
        message: 'the batch never committed to the new table',
      },
    );
    await store.close();
    terminal.interrupt();
    expect(await dev).toBe(0);
  });
});

describe('against AWS (no endpoint variables)', () => {
  /** Clients whose calls fail as AWS answers for a missing table or bucket. */
  function missing(what: 'table' | 'bucket') {
    return () => ({
      dynamodb: {
        config: { region: async () => 'eu-west-1' },
        send: async () => {
          if (what === 'table')
            throw Object.assign(new Error('Requested resource not found'), {
              name: 'ResourceNotFoundException',
            });
          return {};
        },
        destroy() {},
      } as unknown as DynamoDBClient,
      s3: {
        send: async () => {
          if (what === 'bucket')
            throw Object.assign(new Error('NotFound'), {
              name: 'NotFound',
              $metadata: { httpStatusCode: 404 },
            });
          return {};
        },
        destroy() {},
      } as unknown as S3Client,
    });
  }
  const unused = async () => {
    throw new Error('must not create anything on AWS');
  };

  it('says the table comes from the deployment, and which one was looked for', async () => {
    const env = { SLUICE_TABLE: 'my-service-prod-CheckpointTable-1', SLUICE_BUCKET: 'my-bucket' };
    const failed = prepareDevAwsStore(env, {
      createAwsClients: missing('table'),
      ensureAwsResources: unused,
    });
    await expect(failed).rejects.toBeInstanceOf(ConfigError);
    await expect(failed).rejects.toThrow(
      'DynamoDB table "my-service-prod-CheckpointTable-1" (SLUICE_TABLE) does not exist in eu-west-1. On AWS it is created by the deployment (`sls deploy`, see docs/deploy.md), not by sluice dev',
    );
  });

  it('says the same of a missing bucket', async () => {
    const env = { SLUICE_TABLE: 't', SLUICE_BUCKET: 'my-bucket' };
    await expect(
      prepareDevAwsStore(env, { createAwsClients: missing('bucket'), ensureAwsResources: unused }),
    ).rejects.toThrow(
      'S3 bucket "my-bucket" (SLUICE_BUCKET) does not exist (AWS, eu-west-1). On AWS it is created by the deployment',
    );
  });

  it('names the deployment resources it uses when they exist', async () => {
    const env = { SLUICE_TABLE: 't', SLUICE_BUCKET: 'b' };
    expect(
      await prepareDevAwsStore(env, {
        createAwsClients: missing('nothing' as 'table'),
        ensureAwsResources: unused,
      }),
    ).toBe('aws store: DynamoDB table "t" and S3 bucket "b" of the deployment (AWS, eu-west-1)');
  });

  it('asks for SLUICE_TABLE and SLUICE_BUCKET rather than inventing names on AWS', async () => {
    await expect(
      prepareDevAwsStore({}, { createAwsClients: missing('table'), ensureAwsResources: unused }),
    ).rejects.toThrow('sluice dev --store aws against AWS needs SLUICE_TABLE and SLUICE_BUCKET');
  });
});
