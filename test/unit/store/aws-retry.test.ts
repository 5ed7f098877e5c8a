import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { CommitRequest } from '../../../lib/core/checkpoint';
import { CheckpointConflictError, StoreError } from '../../../lib/core/errors';
import { createAwsStore } from '../../../lib/store/aws';
import { backoffDelayMs, createRetryStrategy, RETRY_MAX_DELAY_MS } from '../../../lib/store/aws-retry';

/*
 * Retries, with the real SDK clients and a fake at the HTTP boundary: the SDK classifies the
 * errors exactly as it would AWS's, and our strategy decides. Delays are zero (random = 0).
 */
interface SeenRequest {
  /** `PutItem`, `GetItem`, ... for DynamoDB; `PUT /key`, `POST /?delete` for S3 */
  operation: string;
  body: string;
}
interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}
type Responder = (request: SeenRequest, index: number) => FakeResponse;

function fakeHttp(respond: Responder) {
  const seen: SeenRequest[] = [];
  const requestHandler = {
    async handle(request: {
      method: string;
      path: string;
      query?: Record<string, unknown>;
      headers: Record<string, string>;
      body?: unknown;
    }) {
      const target = request.headers['x-amz-target'];
      const operation = target
        ? (target.split('.')[1] ?? target)
        : `${request.method} ${request.path}${request.query && 'delete' in request.query ? '?delete' : ''}`;
      const seenRequest = { operation, body: bodyText(request.body) };
      seen.push(seenRequest);
      const response = respond(seenRequest, seen.length - 1);
      return {
        response: {
          statusCode: response.status,
          headers: response.headers ?? {},
          body: Readable.from([Buffer.from(response.body ?? '')]),
        },
      };
    },
  };
  return { seen, requestHandler };
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  return '';
}

const base = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  retryStrategy: createRetryStrategy({ random: () => 0, maxAttempts: 5 }),
  maxAttempts: 5,
};

function fakeStore(
  dynamoResponder: Responder,
  s3Responder: Responder = () => ({ status: 200 }),
  inlineStateLimitBytes?: number,
) {
  const dynamoHttp = fakeHttp(dynamoResponder);
  const s3Http = fakeHttp(s3Responder);
  const dynamodb = new DynamoDBClient({
    ...base,
    endpoint: 'http://dynamodb.fake',
    requestHandler: dynamoHttp.requestHandler,
  });
  const s3 = new S3Client({
    ...base,
    endpoint: 'http://s3.fake',
    forcePathStyle: true,
    requestHandler: s3Http.requestHandler,
  });
  const store = createAwsStore({
    table: 'checkpoints',
    bucket: 'state',
    dynamodb,
    s3,
    inlineStateLimitBytes,
  });
  return { store, dynamoRequests: dynamoHttp.seen, s3Requests: s3Http.seen };
}

const json = (status: number, body: object, errorType?: string): FakeResponse => ({
  status,
  headers: {
    'content-type': 'application/x-amz-json-1.0',
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  },
  body: JSON.stringify(body),
});
const dynamoError = (status: number, type: string) =>
  json(status, { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: `fake ${type}` }, type);
const s3Error = (status: number, code: string): FakeResponse => ({
  status,
  headers: { 'content-type': 'application/xml' },
  body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>fake ${code}</Message></Error>`,
});

const firstCommit: CommitRequest = {
  task: { fn: 'retry', topic: 'in', partition: 0 },
  expectedVersion: 0,
  next: 10,
  delta: { set: [['a', 1]], del: [] },
  stateKeys: 1,
  outbox: null,
  committedAt: 1_700_000_000_000,
};

describe('aws store retries', () => {
  it.each(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded'])(
    'retries a commit throttled twice with %s, then succeeds',
    async (throttle) => {
      const { store, dynamoRequests } = fakeStore((_, index) =>
        index < 2 ? dynamoError(400, throttle) : json(200, {}),
      );
      const result = await store.commit(firstCommit);
      expect(result.checkpoint).toMatchObject({ version: 1, next: 10 });
      expect(dynamoRequests.map((r) => r.operation)).toEqual(['PutItem', 'PutItem', 'PutItem']);
      // Counted once: the cost is the store's work, retries are the SDK's.
      expect(result.cost).toMatchObject({ reads: 0, writes: 1 });
    },
  );

  it('retries 5xx answers', async () => {
    const { store, dynamoRequests } = fakeStore((_, index) =>
      index < 2 ? dynamoError(500, 'InternalServerError') : json(200, {}),
    );
    await expect(store.commit(firstCommit)).resolves.toMatchObject({ checkpoint: { version: 1 } });
    expect(dynamoRequests).toHaveLength(3);
  });

  it('retries S3 SlowDown on a spilled commit', async () => {
    const { store, s3Requests, dynamoRequests } = fakeStore(
      () => json(200, {}),
      (_, index) => (index < 2 ? s3Error(503, 'SlowDown') : { status: 200, headers: { etag: '"e"' } }),
      0,
    );
    const result = await store.commit(firstCommit);
    expect(result.cost).toMatchObject({ writes: 1, objectPuts: 1 });
    expect(s3Requests.map((r) => r.operation.split(' ')[0])).toEqual(['PUT', 'PUT', 'PUT']);
    expect(dynamoRequests).toHaveLength(1);
  });

  it('gives up after maxAttempts with a retriable StoreError saying it was throttled', async () => {
    const { store, dynamoRequests } = fakeStore(() =>
      dynamoError(400, 'ProvisionedThroughputExceededException'),
    );
    const error = await store.commit(firstCommit).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).retriable).toBe(true);
    expect((error as StoreError).message).toMatch(
      /PutItem on table "checkpoints".*throttled after 5 attempts/,
    );
    expect(dynamoRequests).toHaveLength(5);
  });

  it('does not retry a request that cannot succeed', async () => {
    const { store, dynamoRequests } = fakeStore(() => dynamoError(400, 'ValidationException'));
    const error = await store.commit(firstCommit).catch((e: unknown) => e);
    expect((error as StoreError).retriable).toBe(false);
    expect(dynamoRequests).toHaveLength(1);
  });

  it('recognises its own write when a retried attempt finds the first one applied', async () => {
    // The first attempt is applied but its answer is lost (500); the retry is then refused by
    // the version condition, and the item it gets back is its own.
    let applied: unknown;
    const { store } = fakeStore((request, index) => {
      if (index === 0) {
        applied = JSON.parse(request.body).Item;
        return dynamoError(500, 'InternalServerError');
      }
      return json(
        400,
        { ...dynamoError(400, 'x'), ...conditionFailed(applied) },
        'ConditionalCheckFailedException',
      );
    });
    await expect(store.commit(firstCommit)).resolves.toMatchObject({ checkpoint: { version: 1 } });
  });

  it('deletes what a refused commit wrote, but only when the write was attempted once', async () => {
    const theirs = (commitId: string) => ({
      pk: { S: 'retry/in/0' },
      format: { S: 'sluice.checkpoint.v1' },
      fn: { S: 'retry' },
      topic: { S: 'in' },
      partition: { N: '0' },
      version: { N: '1' },
      next: { N: '7' },
      stateKeys: { N: '0' },
      committedAt: { N: '1' },
      commitId: { S: commitId },
      objectPrefix: { S: 'sluice/retry/in/0/' },
      state: { S: '{"format":"sluice.snapshot.v1","entries":[]}' },
    });
    const refused = json(400, conditionFailed(theirs('someone-else')), 'ConditionalCheckFailedException');

    const once = fakeStore(
      () => refused,
      () => ({ status: 200, headers: { etag: '"e"' } }),
      0,
    );
    await expect(once.store.commit(firstCommit)).rejects.toMatchObject({ current: { version: 1, next: 7 } });
    expect(once.s3Requests.map((r) => r.operation)).toEqual([
      expect.stringMatching(/^PUT /),
      expect.stringMatching(/^POST \/state\/?\?delete$/),
    ]);

    // After a retry, the first attempt may have landed and been built on: keep the object.
    const retried = fakeStore(
      (_, index) => (index === 0 ? dynamoError(500, 'InternalServerError') : refused),
      () => ({ status: 200, headers: { etag: '"e"' } }),
      0,
    );
    const error = await retried.store.commit(firstCommit).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointConflictError);
    expect(retried.s3Requests.map((r) => r.operation)).toEqual([expect.stringMatching(/^PUT /)]);
  });
});

function conditionFailed(item: unknown) {
  return {
    __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
    message: 'The conditional request failed',
    Item: item,
  };
}

describe('backoff', () => {
  it('draws each wait below an exponentially growing ceiling (full jitter), capped', () => {
    const almostOne = () => 0.999_999;
    const ceilings = [0, 1, 2, 3, 10].map((retry) => backoffDelayMs(retry, { random: almostOne }));
    expect(ceilings).toEqual([49, 99, 199, 399, RETRY_MAX_DELAY_MS - 1]);
    expect(backoffDelayMs(5, { random: () => 0 })).toBe(0);
  });

  it('refuses client errors and stops after maxAttempts', async () => {
    const strategy = createRetryStrategy({ maxAttempts: 3, random: () => 0.5 });
    let token = await strategy.acquireInitialRetryToken('');
    await expect(strategy.refreshRetryTokenForRetry(token, { errorType: 'CLIENT_ERROR' })).rejects.toThrow();
    token = await strategy.refreshRetryTokenForRetry(token, { errorType: 'THROTTLING' });
    expect([token.getRetryCount(), token.getRetryDelay()]).toEqual([1, 25]);
    token = await strategy.refreshRetryTokenForRetry(token, { errorType: 'TRANSIENT' });
    expect([token.getRetryCount(), token.getRetryDelay()]).toEqual([2, 50]);
    await expect(strategy.refreshRetryTokenForRetry(token, { errorType: 'THROTTLING' })).rejects.toThrow();
  });

  it('waits at least as long as the server asks, within the cap', async () => {
    const strategy = createRetryStrategy({ random: () => 0, now: () => 1_000 });
    const token = await strategy.acquireInitialRetryToken('');
    const next = await strategy.refreshRetryTokenForRetry(token, {
      errorType: 'THROTTLING',
      retryAfterHint: new Date(3_000),
    });
    expect(next.getRetryDelay()).toBe(2_000);
  });
});
