/**
 * How `publishOutbox` (lib/checkpoint/publish.ts) scales with the outbox size, measured with a
 * null publisher: a guard that lets a benchmark skip, with the reason, a cell that would run for
 * hours (a quadratic there turns a 150k-message outbox into minutes per batch).
 */

import { publishOutbox } from '../../lib/checkpoint/publish';
import type { OutboxMessage } from '../../lib/core/checkpoint';
import { noFaults } from '../../lib/core/faults';
import { serde } from '../../lib/core/serde';
import type { Sink } from '../../lib/sink/sink';

export interface OutboxScaling {
  /** t ∝ n^exponent (1: linear, 2: quadratic) */
  exponent: number;
  /** projected milliseconds of one publishOutbox call with `messages` messages */
  projectMs(messages: number): number;
}

export async function probeOutboxScaling(): Promise<OutboxScaling> {
  const sink: Sink = {
    kind: 'null',
    target: 'probe',
    key: serde.string(),
    value: serde.string(),
  } as unknown as Sink;
  const publishers = { null: { async publish() {}, async close() {} } };
  const time = async (n: number) => {
    const messages: OutboxMessage[] = Array.from({ length: n }, (_, i) => ({
      sink: 's',
      key: null,
      value: String(i),
    }));
    const request = {
      task: { fn: 'probe', topic: 'probe', partition: 0 },
      namespace: 'bench',
      outbox: { firstOffset: 0, endOffset: 0, messages },
      sinks: { s: sink },
      faults: noFaults,
    };
    await publishOutbox(publishers, request); // warm
    // The fastest of three: a GC pause in one call must not read as superlinear growth.
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await publishOutbox(publishers, request);
      best = Math.min(best, performance.now() - started);
    }
    return Math.max(best, 0.01);
  };
  const small = 4_000;
  const large = 16_000;
  const tSmall = await time(small);
  const tLarge = await time(large);
  const exponent = Math.max(1, Math.log(tLarge / tSmall) / Math.log(large / small));
  return { exponent, projectMs: (messages) => tLarge * (messages / large) ** exponent };
}
