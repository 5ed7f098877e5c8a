/**
 * The seed walkthrough end to end, as a user runs it: `npm start` brings the stack up (reused
 * here), runs prefix, generator, word-count, word-split and word-total through the trigger emulator against the aws
 * store on DynamoDB Local, checks the counts independently and prints a verdict.
 */
import { describe, expect, it } from 'vitest';
import { capture } from '../../../../infra/local/process';
import { REPO, sluice } from './helpers';

const START_TIMEOUT_MS = 180_000;

describe('npm start', () => {
  it(
    'runs the walkthrough and passes its checks (exit 0)',
    async () => {
      const { code, stdout, stderr } = await capture(
        'npm',
        ['start', '--silent', '--', '--cleanup', '--sentences', '120'],
        { ...process.env, NO_COLOR: '1', npm_config_offline: 'true', npm_config_update_notifier: 'false' },
        REPO,
      );
      expect(code, `${stdout}\n${stderr}`).toBe(0);
      expect(stdout).toMatch(
        /^VERDICT: PASS · 120 sentences, [\d,]+ words, each counted exactly once \(9 checks, [\d.]+ s\)$/m,
      );
      for (const step of ['stack', 'store', 'topics', 'functions', 'ticks']) {
        expect(stdout).toMatch(new RegExp(`^✓ ${step} `, 'm'));
      }
      expect(stdout).toContain('aws · DynamoDB table sluice-walkthrough');
      expect(stdout.match(/^ {2}Sluice says: /gm)).toHaveLength(8);
      expect(stdout).toContain('… 112 more');
      expect(stdout).toMatch(/^ {2}WORD +COUNT +p0 +p1 +p2 +p3$/m);
      expect(stdout.match(/^ {2}✓ /gm)).toHaveLength(9);
      // The malformed tick among the others: quarantined, the rest flowed.
      expect(stdout).toMatch(/^ {2}✓ generator quarantine: 1 malformed tick\(s\) \{"count": 2\.5\} parked/m);
      expect(stdout).toMatch(/^ {2}WINDOW +WORDS +TOP$/m);
      expect(stdout).toContain("cleaned up: this run's topics and checkpoints");
    },
    START_TIMEOUT_MS,
  );

  it(
    '--json prints one summary on stdout (memory store)',
    async () => {
      const { code, stdout, stderr } = await sluice([
        'start',
        '--json',
        '--cleanup',
        '--store',
        'memory',
        '--sentences',
        '30',
        '--per-tick',
        '10',
      ]).done;
      expect(code, stderr).toBe(0);
      const summary = JSON.parse(stdout);
      expect(summary).toMatchObject({ verdict: 'PASS', store: 'memory', sentences: 30 });
      expect(summary.checks).toHaveLength(9);
      expect(Object.keys(summary.wordCountState)).toEqual(['0', '1', '2', '3']);
      expect(stderr).toMatch(/^VERDICT: PASS · 30 sentences/m);
    },
    START_TIMEOUT_MS,
  );

  it(
    '--follow keeps running until Ctrl-C, then stops cleanly (exit 0)',
    async () => {
      let interrupted = false;
      const run = sluice(
        ['start', '--follow', '--cleanup', '--store', 'file', '--sentences', '40', '--show', '2'],
        {
          onStdout(stdout) {
            if (!interrupted && stdout.includes('following (Ctrl-C to stop)')) {
              interrupted = true;
              setTimeout(() => run.kill('SIGINT'), 500);
            }
          },
        },
      );
      const { code, signal, stdout, stderr } = await run.done;
      expect({ code, signal }, `${stdout}\n${stderr}`).toEqual({ code: 0, signal: null });
      expect(stdout).toMatch(/^VERDICT: PASS · 40 sentences/m);
      expect(stdout).toContain('✓ store     file · .sluice/walkthrough/');
      expect(stdout).toContain('SIGINT: stopping…');
      expect(stdout).toMatch(/stopped: emulator and clients closed\n$/);
    },
    START_TIMEOUT_MS,
  );
});
