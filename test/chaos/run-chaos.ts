/**
 * `npm run chaos -- --seed N [--records 100000] [--kills 5] [--partitions 4] [--batch-size 100] [--keep] [--json]`
 *
 * Produces N records, runs the trigger emulator (chaos word count: aws store, Kafka sink) in a
 * child process, SIGKILLs it at seeded random moments and restarts it, waits until the source is
 * fully consumed, then checks every output (read_committed, kcat) and the state against the
 * reference fold. Prints a summary; exits 1 on any mismatch. The same seed replays the same
 * records and kill points. Starts the local stack when it is not running.
 */
import { Command, InvalidArgumentError } from 'commander';
import { runChaos } from './chaos-run';

const integer = (min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer >= ${min}`);
  return n;
};

const program = new Command('chaos')
  .description('SIGKILL the emulator at random moments and check exactly-once against the reference fold')
  .option('--seed <n>', 'seed for records and kill moments (default: random, printed)', integer(0))
  .option('--records <n>', 'source records', integer(1), 100_000)
  .option('--kills <n>', 'SIGKILLs (each followed by a restart)', integer(0), 5)
  .option('--partitions <n>', 'partitions of the source and sink topics', integer(1), 4)
  .option('--batch-size <n>', "the trigger's batchSize", integer(1), 100)
  .option('--keep', 'keep topics, table and bucket for inspection')
  .option('--json', 'print the summary as JSON only')
  .parse();

const opts = program.opts<{
  seed?: number;
  records: number;
  kills: number;
  partitions: number;
  batchSize: number;
  keep?: boolean;
  json?: boolean;
}>();
const seed = opts.seed ?? Math.floor(Math.random() * 1_000_000);

try {
  const summary = await runChaos({ ...opts, seed });
  if (opts.json) console.log(JSON.stringify(summary, null, 2));
  else {
    const o = summary.outputs;
    console.log(
      [
        `chaos seed ${summary.seed}: ${summary.ok ? 'OK' : 'MISMATCH'} in ${summary.seconds} s`,
        `  records ${summary.records} over ${summary.partitions} partitions; runs ${summary.runs}, SIGKILLs ${summary.kills}; source consumed: ${summary.consumed}`,
        `  outputs (kcat read_committed): expected ${o.expected}, seen ${o.seen}, duplicated ${o.duplicated}, missing ${o.missing}, out of order ${o.outOfOrder}, misplaced ${o.misplaced}`,
        `  outputs (kafkajs read_committed): seen ${summary.kafkajsOutputs.seen}, duplicated ${summary.kafkajsOutputs.duplicated}, missing ${summary.kafkajsOutputs.missing}`,
        `  state mismatches: ${summary.stateMismatches}`,
        ...summary.examples.map((e) => `  ! ${e}`),
        `  replay: npm run chaos -- --seed ${summary.seed} --records ${summary.records} --kills ${opts.kills} --partitions ${summary.partitions} --batch-size ${opts.batchSize}`,
      ].join('\n'),
    );
  }
  process.exitCode = summary.ok ? 0 : 1;
} catch (error) {
  console.error(`chaos (seed ${seed}): ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
