/**
 * `tsx infra/local/main.ts up|down|status [--json] [--only kafka,dynamodb,s3]`: the local stack
 * (Apache Kafka, DynamoDB Local, moto S3) on 127.0.0.1. See infra/local/README.md.
 */
import { Command, Option } from 'commander';
import { messageOf } from '../../lib/core/errors';
import {
  SERVICE_NAMES,
  type ServiceName,
  type ServiceStatus,
  stackDown,
  stackEndpoints,
  stackStatus,
  stackUp,
} from './stack';

const program = new Command('stack')
  .description('the local stack: Apache Kafka (KRaft), DynamoDB Local, moto S3 on 127.0.0.1')
  .showHelpAfterError();

const only = new Option(
  '--only <services>',
  `comma-separated subset of ${SERVICE_NAMES.join(',')}`,
).argParser((value): ServiceName[] => {
  const names = value.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!SERVICE_NAMES.includes(name as ServiceName)) {
      throw new Error(`unknown service "${name}": choose from ${SERVICE_NAMES.join(', ')}`);
    }
  }
  return names as ServiceName[];
});
const json = new Option('--json', 'print the result as JSON on stdout');
const progress = (line: string) => process.stderr.write(`[stack] ${line}\n`);

program
  .command('up')
  .description('start what is not running (installing it once into the cache), reuse what is')
  .addOption(only)
  .addOption(json)
  .action(async (opts: { only?: ServiceName[]; json?: boolean }) => {
    const result = await stackUp({ services: opts.only, log: opts.json ? () => {} : progress });
    if (opts.json) return print(result);
    for (const s of result.services) {
      console.log(`${row(s)}  ${s.action} in ${(s.durationMs / 1000).toFixed(1)} s`);
    }
    console.log(`stack up in ${(result.durationMs / 1000).toFixed(1)} s; for your shell:`);
    for (const [name, value] of Object.entries(result.endpoints)) console.log(`export ${name}=${value}`);
  });

program
  .command('down')
  .description('stop the services this stack started (by pid); leave others alone')
  .addOption(only)
  .addOption(json)
  .action(async (opts: { only?: ServiceName[]; json?: boolean }) => {
    const result = await stackDown({ services: opts.only, log: opts.json ? () => {} : progress });
    if (opts.json) return print(result);
    console.log(
      result.stopped.length ? `stopped ${result.stopped.join(', ')}` : 'nothing started by this stack runs',
    );
  });

program
  .command('status')
  .description('probe each service with a real client call; exit code 1 when one is not running')
  .addOption(only)
  .addOption(json)
  .action(async (opts: { only?: ServiceName[]; json?: boolean }) => {
    const services = await stackStatus({ services: opts.only });
    if (opts.json) print({ services, endpoints: stackEndpoints() });
    else for (const s of services) console.log(row(s));
    if (services.some((s) => !s.running)) process.exitCode = 1;
  });

function row(s: ServiceStatus): string {
  const owner = s.pid !== null ? `pid ${s.pid}` : s.running ? 'not started by this stack' : '';
  return [
    s.name.padEnd(9),
    (s.running ? 'running' : 'down').padEnd(8),
    s.endpoint.padEnd(24),
    s.description.padEnd(30),
    owner,
  ].join(' ');
}

function print(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

program.parseAsync().catch((error: unknown) => {
  console.error(`stack: ${messageOf(error)}`);
  process.exitCode = 1;
});
