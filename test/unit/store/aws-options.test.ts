import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../../lib/core/config';
import { ConfigError } from '../../../lib/core/errors';
import { createAwsStore } from '../../../lib/store/aws';
import { configuredEndpoint, createAwsClients } from '../../../lib/store/aws-clients';
import { DEFAULT_DELTA_FAN_IN, validateAwsStoreOptions } from '../../../lib/store/aws-options';

describe('aws store configuration', () => {
  it('names the missing variable', () => {
    const aws = { SLUICE_STORE: 'aws' };
    expect(() => configFromEnv({ ...aws, SLUICE_BUCKET: 'b' })).toThrow(ConfigError);
    expect(() => configFromEnv({ ...aws, SLUICE_BUCKET: 'b' })).toThrow(/SLUICE_TABLE is not set/);
    expect(() => configFromEnv({ ...aws, SLUICE_TABLE: 't' })).toThrow(/SLUICE_BUCKET is not set/);
  });

  it('rejects unknown options and out-of-range limits', () => {
    const valid = { table: 't', bucket: 'b' };
    expect(() => createAwsStore({ ...valid, inlineLimit: 5 } as never)).toThrow(
      /unknown aws store option\(s\) inlineLimit/,
    );
    expect(() => createAwsStore({ ...valid, inlineStateLimitBytes: 500 * 1024 })).toThrow(
      /inlineStateLimitBytes/,
    );
    expect(() => createAwsStore({ ...valid, compactAfterDeltas: 0 })).toThrow(/compactAfterDeltas/);
    for (const deltaFanIn of [1, -1, 2.5, 65]) {
      expect(() => createAwsStore({ ...valid, deltaFanIn })).toThrow(/deltaFanIn must be 0 \(no merging\)/);
    }
    expect(validateAwsStoreOptions({ ...valid }).deltaFanIn).toBe(DEFAULT_DELTA_FAN_IN);
    expect(validateAwsStoreOptions({ ...valid, deltaFanIn: 0 }).deltaFanIn).toBe(0);
    for (const chainToSnapshotRatio of [0, -1, Number.NaN, 65]) {
      expect(() => createAwsStore({ ...valid, chainToSnapshotRatio })).toThrow(
        /chainToSnapshotRatio must be a number above 0/,
      );
    }
    expect(validateAwsStoreOptions({ ...valid, chainToSnapshotRatio: 0.5 }).chainToSnapshotRatio).toBe(0.5);
    expect(() => createAwsStore({ ...valid, table: '' })).toThrow(/SLUICE_TABLE/);
  });

  it('uses path-style S3 addressing exactly when an endpoint URL is configured', async () => {
    expect(configuredEndpoint({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1' }, 'AWS_ENDPOINT_URL_S3')).toBe(
      'http://127.0.0.1:1',
    );
    expect(configuredEndpoint({ AWS_ENDPOINT_URL: 'http://127.0.0.1:2' }, 'AWS_ENDPOINT_URL_S3')).toBe(
      'http://127.0.0.1:2',
    );
    expect(
      configuredEndpoint(
        { AWS_ENDPOINT_URL_S3: 'http://x', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' },
        'AWS_ENDPOINT_URL_S3',
      ),
    ).toBeUndefined();
    const local = createAwsClients({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1' });
    const real = createAwsClients({ AWS_REGION: 'eu-west-1' });
    expect(local.s3.config.forcePathStyle).toBe(true);
    expect(await local.s3.config.region()).toBe('us-east-1');
    expect(real.s3.config.forcePathStyle).toBe(false);
    expect(await real.dynamodb.config.region()).toBe('eu-west-1');
    for (const client of [local.s3, local.dynamodb, real.s3, real.dynamodb]) client.destroy();
  });
});
