import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { classifyKafkaError, isProducerFenced } from '../../../lib/kafka/errors';

const protocol = (type: string, code: number, retriable = false) =>
  new KafkaJSProtocolError({ message: `broker says ${type}`, type, code, retriable } as unknown as Error);

describe('classifyKafkaError', () => {
  it('sees fencing, also through kafkajs wrappers and as the unknown code 90', () => {
    expect(classifyKafkaError(protocol('INVALID_PRODUCER_EPOCH', 47))).toMatchObject({ fenced: true });
    const wrapped = new KafkaJSNumberOfRetriesExceeded(protocol('INVALID_PRODUCER_EPOCH', 47), {
      retryCount: 9,
      retryTime: 20,
    });
    expect(isProducerFenced(wrapped)).toBe(true);
    const unknown = new KafkaJSProtocolError({
      message: 'Unknown error code 90',
      type: 'KAFKAJS_UNKNOWN_ERROR_CODE',
      code: -1,
    } as unknown as Error);
    expect(classifyKafkaError(unknown)).toMatchObject({ type: 'PRODUCER_FENCED', fenced: true });
  });

  it('names what a fresh producer fixes, leader moves and size limits', () => {
    expect(classifyKafkaError(protocol('CONCURRENT_TRANSACTIONS', 51))).toMatchObject({
      concurrentTransactions: true,
      needsFreshProducer: true,
      retriable: false,
      fenced: false,
    });
    expect(classifyKafkaError(protocol('INVALID_PRODUCER_ID_MAPPING', 49))).toMatchObject({
      needsFreshProducer: true,
      concurrentTransactions: false,
    });
    expect(classifyKafkaError(protocol('NOT_LEADER_OR_FOLLOWER', 6, true))).toMatchObject({
      notLeader: true,
      retriable: true,
    });
    expect(classifyKafkaError(protocol('MESSAGE_TOO_LARGE', 10))).toMatchObject({
      tooLarge: true,
      retriable: false,
    });
  });

  it('calls network trouble retriable, and nothing else', () => {
    expect(classifyKafkaError(new KafkaJSConnectionError('socket closed')).retriable).toBe(true);
    expect(classifyKafkaError(Object.assign(new Error('reset'), { code: 'ECONNRESET' })).retriable).toBe(
      true,
    );
    expect(classifyKafkaError(new Error('boom'))).toEqual({
      type: undefined,
      retriable: false,
      fenced: false,
      concurrentTransactions: false,
      needsFreshProducer: false,
      notLeader: false,
      tooLarge: false,
    });
    expect(classifyKafkaError('not an error').retriable).toBe(false);
  });
});
