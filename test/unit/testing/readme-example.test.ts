import { expect, it } from 'vitest';
import { handler as wordCount } from '../../../functions/word-count';
import { createHarness } from '../../../lib/testing/harness';

// The README's "Testing a function" example, verbatim, so it cannot rot.
it('runs the README harness example', async () => {
  const h = createHarness(wordCount);
  await h.invoke([{ value: 'to be or not to be' }, { partition: 1, value: 'be quick' }]);
  expect(await h.state(0)).toMatchObject({ 'counts/to': 2, 'counts/be': 2 });

  h.failAt('after-commit');
  await expect(h.invoke([{ value: 'be' }])).rejects.toThrow('injected fault at after-commit');
  await h.crash();
  await h.retry();
  expect(await h.state(0)).toMatchObject({ 'counts/be': 3 });
  expect(h.published('counts').filter((o) => o.partition === 0 && o.key === 'be')).toHaveLength(3);
});
