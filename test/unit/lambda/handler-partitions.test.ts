/**
 * One bad partition fails alone, through the real handler (lib/testing/harness): a malformed or
 * undecodable partition batch never stops the other partitions of the event from committing.
 */
import { describe, expect, it } from 'vitest';
import { DecodeError, defineFunction, serde, state } from '../../../lib';
import { MalformedEventError } from '../../../lib/core/errors';
import { BatchFailedError } from '../../../lib/lambda/handler';
import { createHarness } from '../../../lib/testing/harness';

const counter = defineFunction({
  name: 'counter',
  source: { topic: 'numbers', key: serde.string(), value: serde.json<number>() },
  state: { total: state.value(0) },
  process(batch, { state }) {
    for (const record of batch.records) state.total.set((state.total.get() ?? 0) + record.value);
  },
});

// biome-ignore lint/suspicious/noExplicitAny: tests bend the event JSON on purpose
type Json = Record<string, any>;

/** An event with one record on each of partitions 0, 1 and 2 (values 1, 10, 100), offsets 5.. */
function threePartitions(h: ReturnType<typeof createHarness>): Json {
  return h.event([
    { partition: 0, offset: 5, key: 'a', value: 1 },
    { partition: 1, offset: 5, key: 'b', value: 10 },
    { partition: 2, offset: 5, key: 'c', value: 100 },
  ]) as Json;
}

const committedTotals = async (h: ReturnType<typeof createHarness>) =>
  Promise.all([0, 1, 2].map(async (p) => (await h.state(p)).total ?? null));

describe('one bad partition fails alone', () => {
  it('partial batch response: a malformed partition is the only one reported; the others commit', async () => {
    const h = createHarness(counter, { handler: { reportBatchItemFailures: true } });
    const event = threePartitions(h);
    event.records['numbers-1'][0].value = 'not base64!';
    const response = await h.invokeEvent(event);
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'numbers-1', offset: 5 } }],
    });
    expect(await committedTotals(h)).toEqual([1, null, 100]);
  });

  it('without partial batch responses: the invocation fails after the others committed, naming the field', async () => {
    const h = createHarness(counter);
    const event = threePartitions(h);
    event.records['numbers-1'][0].headers = [{ trace: [1, 2, 999] }];
    const failed = h.invokeEvent(event);
    await expect(failed).rejects.toBeInstanceOf(BatchFailedError);
    await expect(failed).rejects.toThrow(
      'numbers-1: malformed Kafka event: records["numbers-1"][0].headers[0]["trace"][2] must be an integer byte in -128..255, got number 999',
    );
    const error = (await failed.catch((e: unknown) => e)) as BatchFailedError;
    expect(
      error.failures.map((f) => [f.partition, f.offset, f.error instanceof MalformedEventError]),
    ).toEqual([['numbers-1', 5, true]]);
    expect(await committedTotals(h)).toEqual([1, null, 100]);

    // Lambda redelivers the same event: the committed partitions skip their records.
    await expect(h.retry()).rejects.toThrow(/1 partition batch\(es\) failed/);
    expect(await committedTotals(h)).toEqual([1, null, 100]);
  });

  it('an undecodable record (the source serde) fails only its partition', async () => {
    const h = createHarness(counter, { handler: { reportBatchItemFailures: true } });
    const response = await h.invoke([
      { partition: 0, key: 'a', value: 1 },
      { partition: 1, key: 'b', rawValue: Buffer.from('{oops') },
      { partition: 2, key: 'c', value: 100 },
    ]);
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'numbers-1', offset: 0 } }],
    });
    expect(await committedTotals(h)).toEqual([1, null, 100]);
  });

  it('a partition whose first offset cannot be read fails the invocation, after the others committed', async () => {
    const h = createHarness(counter, { handler: { reportBatchItemFailures: true } });
    const event = threePartitions(h);
    event.records['numbers-2'][0].offset = '5';
    const failed = h.invokeEvent(event);
    await expect(failed).rejects.toThrow(
      'records["numbers-2"][0].offset must be a non-negative integer, got the string "5"',
    );
    expect(await committedTotals(h)).toEqual([1, 10, null]);
  });

  it('a partition list that is not an array, or a batch of another topic, fails alone too', async () => {
    const h = createHarness(counter, { handler: { reportBatchItemFailures: true } });
    const event = threePartitions(h);
    const other = { ...event.records['numbers-2'][0], topic: 'other' };
    event.records['other-2'] = [other];
    event.records['numbers-1'] = { 0: event.records['numbers-1'][0] };
    await expect(h.invokeEvent(event)).rejects.toThrow(
      /numbers-1: malformed Kafka event: records\["numbers-1"\] must be an array of records.*other-2: counter reads topic "numbers" but the event holds "other"/,
    );
    expect(await committedTotals(h)).toEqual([1, null, 100]);
  });

  it('decodes what Lambda may add or omit: no bootstrapServers, schema metadata without schemaId, new fields', async () => {
    const h = createHarness(counter);
    const event = threePartitions(h);
    delete event.bootstrapServers;
    event.someNewField = { added: 'later' };
    const record = event.records['numbers-0'][0];
    record.valueSchemaMetadata = { dataFormat: 'JSON' };
    record.keySchemaMetadata = { dataFormat: 'AVRO', schemaId: null };
    delete record.timestampType;
    record.leaderEpoch = 3;
    await h.invokeEvent(event);
    expect(await committedTotals(h)).toEqual([1, 10, 100]);
  });

  it('undecodable value errors still name topic, partition and offset', async () => {
    const h = createHarness(counter);
    const failed = h.invoke([{ partition: 1, offset: 3, key: 'b', rawValue: Buffer.from('x') }]);
    const error = (await failed.catch((e: unknown) => e)) as BatchFailedError;
    expect(error.failures[0]?.error).toBeInstanceOf(DecodeError);
    expect(error.failures[0]).toMatchObject({ partition: 'numbers-1', offset: 3 });
  });
});
