import { describe, expect, it } from 'vitest';
import { judgeOutcome } from '../../../../tools/trigger/batch-response';
import { retryPolicyFor } from '../../../../tools/trigger/retry-policy';

const batch = { topic: 'orders', partition: 2, offsets: [10, 11, 12] };
const item = (partition: unknown, offset: unknown) => ({ itemIdentifier: { partition, offset } });
const answer = (response: unknown, report = true) => judgeOutcome({ ok: true, response }, batch, report);

describe('partial batch response', () => {
  it('is a success when empty, null or absent', () => {
    for (const response of [
      null,
      undefined,
      {},
      { batchItemFailures: [] },
      { batchItemFailures: null },
      'ok',
    ]) {
      expect(answer(response)).toEqual({ kind: 'success' });
    }
  });

  it('retries from the lowest failed offset', () => {
    expect(answer({ batchItemFailures: [item('orders-2', 12), item('orders-2', 11)] })).toEqual({
      kind: 'partial',
      from: 11,
    });
    expect(answer({ batchItemFailures: [item('orders-2', '12')] })).toEqual({ kind: 'partial', from: 12 });
  });

  it('fails the whole batch when an item is malformed', () => {
    for (const failures of [
      [item('orders-3', 11)],
      [item('orders-2', 99)],
      [item('orders-2', null)],
      [{ itemIdentifier: '11' }],
      [null],
      'nope',
    ]) {
      expect(answer({ batchItemFailures: failures }).kind).toBe('failure');
    }
  });

  it('is ignored when ReportBatchItemFailures is off; errors always fail', () => {
    expect(answer({ batchItemFailures: [item('orders-2', 11)] }, false)).toEqual({ kind: 'success' });
    expect(
      judgeOutcome({ ok: false, error: { errorType: 'TypeError', errorMessage: 'x' } }, batch, true),
    ).toEqual({ kind: 'failure', error: 'TypeError: x' });
  });
});

describe('retry policy', () => {
  it('maps -1 to infinite, caps it at 10 with an on-failure topic, and backs off exponentially', () => {
    expect(retryPolicyFor({ maximumRetryAttempts: -1, maximumRecordAgeInSeconds: -1 })).toMatchObject({
      maxRetries: null,
      maxRecordAgeMs: null,
    });
    expect(
      retryPolicyFor({ maximumRetryAttempts: -1, maximumRecordAgeInSeconds: 60, onFailureTopic: 'dlt' }),
    ).toMatchObject({ maxRetries: 10, maxRecordAgeMs: 60_000 });
    expect(retryPolicyFor({ maximumRetryAttempts: 0, maximumRecordAgeInSeconds: -1 }).maxRetries).toBe(0);
    const policy = retryPolicyFor(
      { maximumRetryAttempts: 5, maximumRecordAgeInSeconds: -1 },
      { initialMs: 100, maxMs: 500 },
    );
    expect([1, 2, 3, 4, 5].map((n) => policy.backoffMs(n))).toEqual([100, 200, 400, 500, 500]);
  });
});
