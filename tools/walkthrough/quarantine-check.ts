import { listQuarantine } from '../../lib/checkpoint/quarantine-commands';
import type { Store } from '../../lib/store/store';
import type { Collected } from './collect';
import type { RunFunction } from './functions';
import type { WalkthroughPlan } from './plan';
import type { Check } from './verify';

/**
 * The malformed tick the walkthrough sends among the others: `count` is not an integer, so the
 * generator throws a TerminalError for it. It passes the trigger's filter (`count > 0`), so it
 * reaches the function: with `onError: 'quarantine-key'` it is parked (a tick has no key: only
 * itself) and published to the quarantine topic while the other ticks flow.
 */
export const MALFORMED_TICK = '{"count": 2.5}';

/** Where a malformed tick landed. */
export interface SentMalformed {
  partition: number;
  offset: number;
}

/**
 * The check: the generator's quarantine (the store) holds exactly the malformed ticks, and its
 * quarantine topic (read_committed) carries each of them exactly once.
 */
export async function quarantineCheck(
  plan: WalkthroughPlan,
  generator: RunFunction,
  store: Store,
  malformed: readonly SentMalformed[],
  topic: Collected,
): Promise<Check> {
  const fn = generator.definition.name;
  const tasks = (await store.list(fn)).filter((t) => t.topic === plan.topic('generator-ticks'));
  const parked = (await Promise.all(tasks.map((t) => listQuarantine(store, t)))).flat();
  const where = (r: { partition: number; offset: number }) => `${r.partition}@${r.offset}`;
  const want = malformed.map(where).sort();
  const got = parked.map(where).sort();
  const onTopic = topic.records.map((r) => r.value);
  const details: string[] = [];
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    details.push(`quarantine holds ${got.join(', ') || 'nothing'}; expected ${want.join(', ') || 'nothing'}`);
  }
  if (onTopic.length !== malformed.length || onTopic.some((v) => v !== MALFORMED_TICK)) {
    details.push(`quarantine topic holds ${onTopic.length} record(s): ${onTopic.slice(0, 3).join(' | ')}`);
  }
  return {
    ok: details.length === 0,
    label:
      `generator quarantine: ${malformed.length} malformed tick(s) ${MALFORMED_TICK} parked ` +
      `(${want.join(', ')}) and on ${plan.topic('generator-ticks.quarantine')} once each, while the other ticks flowed`,
    details,
  };
}
