/**
 * Restarts: how long a restarted `sluice dev` (the trigger emulator) takes to get its first batch
 * after the previous one died. A member killed without leaving the group keeps its partitions
 * until its session times out; one stopped cleanly (Ctrl-C, SIGTERM) leaves at once.
 *
 * Arms, side by side in each round (rotating order), each a fresh group on one topic:
 * - `kill, 30 s session`: kafkajs's default session timeout, the emulator's before issue 12;
 * - `kill, 6 s session`: the emulator's default now (the broker's minimum);
 * - `clean stop`: SIGTERM, which leaves the group (what Ctrl-C does), 6 s session.
 * Measured: spawn of the restarted process to its first batch (includes ~2-3 s of process start).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { runBench } from './lib/bench';
import { fmtMs, fmtRatio } from './lib/format';
import { type Arm, interleave } from './lib/interleave';
import { REPO_ROOT } from './lib/paths';
import { benchKafka, ensureStack } from './lib/stack';
import { median, ratioOf } from './lib/stats';
import { deleteTopics, uniqueTopic } from './lib/topics';

/** A child that has not joined or delivered by then is stuck: the benchmark fails. */
const CHILD_DEADLINE_MS = 90_000;

interface Child {
  proc: ChildProcess;
  /** resolves with the epoch ms of the first line holding `field` */
  next(field: 'started' | 'ready' | 'firstBatch'): Promise<number>;
}

function spawnChild(topic: string, group: string, sessionMs: number): Child {
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'bench', 'fixtures', 'restart-child.ts'),
      topic,
      group,
      String(sessionMs),
    ],
    { cwd: REPO_ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const seen = new Map<string, number>();
  const waiters: Array<() => void> = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const fields = JSON.parse(line) as Record<string, unknown>;
    // Anything but the child's own three lines is a log line (kafkajs's): show it.
    if (!['started', 'ready', 'firstBatch'].some((key) => key in fields)) {
      process.stderr.write(`    [child ${group}] ${line}\n`);
      return;
    }
    for (const [key, value] of Object.entries(fields)) seen.set(key, value as number);
    for (const wake of waiters.splice(0)) wake();
  });
  const next = (field: string) =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`restart child: no "${field}" within ${CHILD_DEADLINE_MS} ms`)),
        CHILD_DEADLINE_MS,
      );
      const check = () => {
        const at = seen.get(field);
        if (at !== undefined) {
          clearTimeout(timer);
          resolve(at);
        } else if (proc.exitCode !== null || proc.signalCode !== null) {
          clearTimeout(timer);
          reject(new Error(`restart child exited (${proc.exitCode ?? proc.signalCode}) before "${field}"`));
        } else waiters.push(check);
      };
      proc.once('exit', () => {
        for (const wake of waiters.splice(0)) wake();
      });
      check();
    });
  return { proc, next };
}

async function stopChild(child: Child, signal: NodeJS.Signals): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  const exited = new Promise((resolve) => child.proc.once('exit', resolve));
  child.proc.kill(signal);
  await exited;
}

runBench(
  {
    name: 'restart',
    title: 'Restart of the trigger emulator: time to the first batch',
    script: import.meta.url,
  },
  async (ctx) => {
    const rounds = ctx.pick({ full: 3, smoke: 1 });
    await ensureStack(['kafka'], ctx.log);
    const kafka = await benchKafka();
    const topic = uniqueTopic('restart');
    const admin = kafka.admin();
    await admin.createTopic(topic, { partitions: 1 });
    const producer = kafka.producer();
    try {
      const measure = (sessionMs: number, signal: NodeJS.Signals) => async () => {
        const group = `restart-${randomUUID()}`;
        const first = spawnChild(topic, group, sessionMs);
        await first.next('ready');
        await first.next('firstBatch').catch(() => undefined); // an earlier record, if any
        await stopChild(first, signal);
        const left = await admin.describeGroup(group);
        await producer.send([{ topic, messages: [{ value: 'after the restart' }] }]);
        const spawned = Date.now();
        const second = spawnChild(topic, group, sessionMs);
        try {
          const batch = await second.next('firstBatch');
          const ready = await second.next('ready');
          ctx.log(
            `    ${signal}, ${sessionMs / 1000} s session: group ${left.state} with ${left.members} member(s) after the stop; restarted: joined +${ready - spawned} ms, first batch +${batch - spawned} ms`,
          );
          return batch - spawned;
        } finally {
          await stopChild(second, 'SIGTERM');
        }
      };
      // Every group starts at the topic's beginning: give the first child a record to deliver.
      await producer.send([{ topic, messages: [{ value: 'before' }] }]);
      const arms: Arm[] = [
        { name: 'kill, 30 s session', run: measure(30_000, 'SIGKILL') },
        { name: 'kill, 6 s session', run: measure(6_000, 'SIGKILL') },
        { name: 'clean stop', run: measure(6_000, 'SIGTERM') },
      ];
      ctx.method(
        `One partition; each measurement starts an emulator process in a fresh consumer group, waits for its first batch, stops it (SIGKILL, or SIGTERM which leaves the group like Ctrl-C), produces one record, starts a second process with the same group and times spawn → first batch. ${rounds} round(s), arms interleaved with rotating order, no warm-up (every measurement is a cold process).`,
      );
      const results = await interleave({ arms, warmup: 0, rounds, log: ctx.log, format: fmtMs });
      const before = results['kill, 30 s session']!;
      ctx.table({
        title: 'Restart to first batch (ratio = arm / kill with the old 30 s session, same round)',
        columns: ['arm', 'spawn → first batch', 'vs 30 s session'],
        rows: arms.map((arm) => [
          arm.name,
          fmtMs(median(results[arm.name]!)),
          fmtRatio(ratioOf(results[arm.name]!, before)),
        ]),
        align: ['l', 'r', 'r'],
      });
      ctx.target({
        label: 'restart after a kill, 6 s vs 30 s session',
        op: '<=',
        value: 0.5,
        ratio: ratioOf(results['kill, 6 s session']!, before),
      });
      ctx.target({
        label: 'restart after a clean stop vs a kill with 30 s session',
        op: '<=',
        value: 0.1,
        ratio: ratioOf(results['clean stop']!, before),
        note: 'a clean stop leaves the group, so the restart waits for no session; missed when the leave did not take effect (the line above says whether the group was Empty after the stop)',
      });
      ctx.raw('restartMs', results);
    } finally {
      await producer.disconnect().catch(() => {});
      await deleteTopics(kafka, [topic]).catch(() => {});
      await admin.disconnect().catch(() => {});
      await kafka.close();
    }
  },
);
