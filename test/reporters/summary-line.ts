import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints `Tests: N passed, N failed, N skipped` alone on the last line: the plain summary CI
 * systems read whatever the runner (vitest's own summary is decorated and multi-line).
 */
export default class SummaryLineReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of modules) {
      const failedBefore = counts.failed;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else counts.skipped++;
      }
      // A file that failed outside its tests (import error, a failing beforeAll: vitest then
      // reports its tests as skipped) still counts as one failure, so the line never says 0.
      if (module.state() === 'failed' && counts.failed === failedBefore) counts.failed++;
    }
    process.stdout.write(
      `\nTests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`,
    );
  }
}
