import { describe, expect, it } from 'vitest';
import {
  MAX_SENTENCES_PER_TICK,
  sentence,
  tickProblem,
  tickSentences,
} from '../../../../functions/demo/sentences';
import { handler as generator } from '../../../../functions/generator';
import { createHarness } from '../../../../lib/testing/harness';

describe('the sentence generator', () => {
  it('is deterministic per (partition, offset, index)', () => {
    expect(tickSentences({ partition: 1, offset: 42 }, 5)).toEqual(
      tickSentences({ partition: 1, offset: 42 }, 5),
    );
    expect(tickSentences({ partition: 1, offset: 42 }, 3)).toEqual(
      tickSentences({ partition: 1, offset: 42 }, 5).slice(0, 3),
    );
    expect(tickSentences({ partition: 0, offset: 42 }, 5)).not.toEqual(
      tickSentences({ partition: 1, offset: 42 }, 5),
    );
    expect(tickSentences({ partition: 1, offset: 43 }, 5)).not.toEqual(
      tickSentences({ partition: 1, offset: 42 }, 5),
    );
  });

  it('writes readable sentences with a few clearly frequent words', () => {
    const all = Array.from({ length: 2000 }, (_, i) => sentence(i));
    for (const s of all.slice(0, 20)) expect(s).toMatch(/^[A-Z][a-z]*( [a-z]+){2,6}\.$/);
    expect(new Set(all).size).toBeGreaterThan(500);
    const kafka = all.filter((s) => s.startsWith('Kafka ')).length;
    const job = all.filter((s) => s.startsWith('The job ')).length;
    expect(kafka).toBeGreaterThan(3 * job);
  });

  it('validates ticks', () => {
    expect(tickProblem({ count: 3 })).toBeNull();
    expect(tickProblem({ count: 0 })).toBeNull();
    for (const bad of [
      null,
      [],
      'x',
      {},
      { count: -1 },
      { count: 1.5 },
      { count: MAX_SENTENCES_PER_TICK + 1 },
    ]) {
      expect(tickProblem(bad), JSON.stringify(bad)).not.toBeNull();
    }
  });
});

describe('functions/generator', () => {
  it('emits the sentences of each tick, keyed per sentence, and quarantines bad ticks while the others flow', async () => {
    const h = createHarness(generator);
    await h.invoke([{ value: { count: 2 } }, { value: { count: 'many' } }, { value: { count: 1 } }]);
    expect(h.published('sentences')).toEqual([
      ...tickSentences({ partition: 0, offset: 0 }, 2).map((value, i) => ({
        partition: 0,
        key: `0-0-${i}`,
        value,
      })),
      { partition: 0, key: '0-2-0', value: tickSentences({ partition: 0, offset: 2 }, 1)[0] },
    ]);
    const parked = await h.quarantine();
    expect(parked.map((r) => [r.offset, r.reason])).toEqual([[1, 'failed']]);
    expect(parked[0]!.error).toContain('count must be an integer');
    expect(h.published('~quarantine').map((m) => m.value)).toEqual(['{"count":"many"}']);
  });

  it('emits the same sentences when a crash makes it process a tick again', async () => {
    const h = createHarness(generator);
    h.failAt('after-process');
    await expect(h.invoke([{ value: { count: 3 } }])).rejects.toThrow('injected fault');
    await h.retry();
    expect(h.published('sentences').map((m) => m.value)).toEqual(
      tickSentences({ partition: 0, offset: 0 }, 3),
    );
  });
});
