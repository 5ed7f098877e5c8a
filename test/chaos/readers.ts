import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { KafkaClient } from '../../lib/kafka/client';
import type { SeenRecord } from './verify';

/** After the expected count is reached, keep reading this long so duplicates have a chance to show. */
const SETTLE_MS = 1_500;

/**
 * Reads a whole topic from the beginning with a kafkajs consumer in a fresh group
 * (read_committed: Sluice's consumers never read uncommitted data), until `expected` records
 * came and nothing more arrived for SETTLE_MS, or `timeoutMs` passed.
 */
export async function readCommitted(
  kafka: KafkaClient,
  topic: string,
  options: { expected: number; timeoutMs?: number },
): Promise<SeenRecord[]> {
  const consumer = kafka.consumer({ groupId: `chaos-reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const seen: SeenRecord[] = [];
  let last = Date.now();
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ partition, records }) => {
        for (const message of records) {
          seen.push({
            partition,
            offset: message.offset,
            key: message.key?.toString('utf8') ?? null,
            value: message.value?.toString('utf8') ?? '',
          });
          last = Date.now();
        }
      },
    });
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      if (seen.length >= options.expected && Date.now() - last >= SETTLE_MS) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/**
 * Reads a whole topic with kcat (librdkafka, an independent client) in read_committed
 * isolation, up to the end of every partition (`-e`).
 */
export async function readWithKcat(
  brokers: string,
  topic: string,
  timeoutMs = 60_000,
): Promise<SeenRecord[]> {
  const args = [
    '-C',
    '-b',
    brokers,
    '-t',
    topic,
    '-o',
    'beginning',
    '-e',
    '-q',
    '-X',
    'isolation.level=read_committed',
    '-f',
    '%p\\t%o\\t%k\\t%s\\n',
  ];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kcat did not reach the end of ${topic} within ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`kcat exited with ${code}: ${err}`));
    });
  });
  return output
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [partition, offset, key, ...value] = line.split('\t');
      return {
        partition: Number(partition),
        offset: Number(offset),
        key: key ?? null,
        value: value.join('\t'),
      };
    });
}
