/**
 * The live page of `sluice dev` in a real headless Chromium (Debian's `chromium` package, driven
 * by playwright-core): while the emulator runs a function of serverless.yml against the real
 * broker, the page must show its partition tasks, what they applied, their state, lag and
 * failures, and keep updating; `sluice status --json` must tell the same.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../../../../tools/cli/main';
import { fakeTerminal, run } from '../../../unit/tools/cli/fake-io';
import { injectedStack } from '../../helpers/stack';
import { uniqueName } from '../../helpers/unique-name';
import { waitFor } from '../../helpers/wait-for';
import { tempDir, testKafka, testTopicName, upperProject } from './helpers';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Set by .ci/run only where apt-get cannot install Chromium (it says so). */
const SKIP = process.env.SLUICE_SKIP_BROWSER_TESTS === 'true';
const PORT = 57_301;
const env = () => ({ SLUICE_KAFKA_BROKERS: injectedStack().SLUICE_KAFKA_BROKERS });

let browser: Browser | undefined;
afterAll(async () => browser?.close());

describe.skipIf(SKIP)('sluice dev: the live page, in headless Chromium', () => {
  it('shows the functions, their partition tasks and what they did, updating live', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `no Chromium at ${CHROMIUM}: install it (\`apt-get update && apt-get install -y chromium\`), ` +
          'or point CHROMIUM_PATH at one; .ci/run installs it',
      );
    }
    const kafka = await testKafka();
    const source = testTopicName(kafka, 'live-src');
    const out = testTopicName(kafka, 'live-out');
    await kafka.admin().createTopic(source, { partitions: 2 });
    await kafka.admin().createTopic(out, { partitions: 1 });
    const fn = uniqueName('upper');
    const dir = upperProject({ fn, source, out, group: uniqueName('live-dev') });
    const config = ['--config', `${dir}/serverless.yml`, '--store-dir', tempDir()];
    const terminal = fakeTerminal({ env: env(), cwd: dir });
    const dev = runCli(['dev', ...config, '--ui-port', String(PORT)], { io: terminal.io });
    try {
      await waitFor(() => terminal.stderr().includes(`live page: http://127.0.0.1:${PORT}/`), {
        message: `sluice dev never announced its live page:\n${terminal.stderr()}`,
        timeoutMs: 60_000,
      });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${PORT}/`);
      const card = page.locator('section[data-fn="upper"]');
      await card.waitFor();
      await expect.poll(() => page.locator('#status').getAttribute('data-connected')).toBe('true');
      expect(await card.locator('h2').textContent()).toBe(`upper← ${source}`);
      expect(await card.locator('tbody tr').count()).toBe(2);

      // 3 records on each partition: the page must count them, per partition and in total
      for (const partition of [0, 1]) {
        const produced = await run(['produce', source, '--partition', String(partition)], {
          env: env(),
          stdin: ['a', 'b', 'c'].map((v) => `${v}${partition}`).join('\n'),
        });
        expect(produced.code).toBe(EXIT.ok);
      }
      const tile = (metric: string) => card.locator(`[data-metric="${metric}"]`).textContent();
      const cell = (partition: number, col: string) =>
        card.locator(`tr[data-partition="${partition}"] [data-col="${col}"]`).textContent();
      await expect.poll(() => tile('done'), { timeout: 60_000 }).toBe('6');
      await expect.poll(() => cell(0, 'applied')).toBe('3');
      await expect.poll(() => cell(1, 'applied')).toBe('3');
      // state: one key (the counter) per partition task; its size in bytes from the functions' metrics
      await expect.poll(() => tile('stateKeys')).toBe('2');
      expect(await tile('stateBytes')).toMatch(/^\d+ B$/);
      expect(await cell(0, 'stateBytes')).toMatch(/^\d+ B$/);
      expect(await tile('lag')).toBe('0');
      expect(await tile('timeLagMs')).toBe('0 ms');
      expect(await tile('failures')).toBe('0');
      // the checkpoints are read every few seconds: outboxes published, checkpoints aged
      await expect.poll(() => tile('pendingOutboxes'), { timeout: 15_000 }).toBe('0');
      await expect.poll(() => cell(1, 'checkpointAge'), { timeout: 15_000 }).toMatch(/^\d+(\.\d)? (ms|s)$/);
      // it keeps updating: the charts gain points every second
      const points = async () =>
        Number(await card.locator('svg[data-chart="recordsPerSecond"]').getAttribute('data-points'));
      const before = await points();
      await expect.poll(points, { timeout: 10_000 }).toBeGreaterThan(before);
      expect(await card.locator('svg[data-chart="timeLagMs"] path.line').count()).toBe(1);

      // the same numbers from the CLI
      const status = await run(['status', '--ui-port', String(PORT), '--json'], { env: env() });
      expect(status.code).toBe(EXIT.ok);
      const upper = JSON.parse(status.stdout).functions.find((f: { name: string }) => f.name === 'upper');
      expect(upper).toMatchObject({ done: 6, stateKeys: 2, failures: 0, lag: 0 });
      expect(upper.partitions.map((p: { applied: number }) => p.applied)).toEqual([3, 3]);
      const table = await run(['status', '--ui-port', String(PORT)], { env: env() });
      expect(table.stdout).toMatch(/^upper ← live-src-\S+ · [\d.]+ rec\/s · 6 done · lag 0/m);
    } finally {
      terminal.interrupt();
      expect(await dev).toBe(EXIT.ok);
    }
    // stopped: the page's server is gone with it
    await expect(fetch(`http://127.0.0.1:${PORT}/api/snapshot`)).rejects.toThrow();
  });
});
