import { connect } from 'node:net';
import { SluiceError } from '../../lib/core/errors';

/** A TCP connect answers in milliseconds on loopback; kafkajs's own retries take ~20 s to give up. */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * Fails fast, with what to do, when no bootstrap server accepts a TCP connection. Only checks
 * reachability: TLS and authentication problems surface from the client itself.
 */
export async function assertBrokersReachable(brokers: readonly string[]): Promise<void> {
  const results = await Promise.all(brokers.map(probe));
  if (results.some(Boolean)) return;
  throw new SluiceError(
    'STACK_UNAVAILABLE',
    `cannot reach Kafka at ${brokers.join(',')}: start the local stack (\`sluice stack up\`) ` +
      'or point --bootstrap.servers / SLUICE_KAFKA_BROKERS at a running broker',
  );
}

function probe(broker: string): Promise<boolean> {
  const at = broker.lastIndexOf(':');
  const host = broker.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(broker.slice(at + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
