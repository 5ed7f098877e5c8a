import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  SERVICE_NAMES,
  type ServiceName,
  type ServiceStatus,
  stackDown,
  stackEndpoints,
  stackStatus,
  stackUp,
} from '../../../infra/local/stack';
import { action, type CliContext, type CommandEnv } from '../context';
import { formatTable } from '../table';

interface StackOptions {
  only?: ServiceName[];
}

/** `sluice stack up|down|status`: the local Kafka, DynamoDB Local and moto S3 (infra/local). */
export function registerStackCommand(program: Command, ctx: CliContext): void {
  const stack = program
    .command('stack')
    .description(
      'the local stack on 127.0.0.1: Apache Kafka (KRaft), DynamoDB Local, moto S3 (and Glue); --only registry adds Apicurio Registry',
    );
  const only = () =>
    new Option('--only <services>', `comma-separated subset of ${SERVICE_NAMES.join(',')}`).argParser(
      parseServices,
    );

  stack
    .command('up')
    .description('start what is not running (installing it once into the cache), reuse what is')
    .addOption(only())
    .action(
      action(ctx, async (env, opts: StackOptions) => {
        const result = await stackUp({
          env: env.io.env,
          ...(opts.only && { services: opts.only }),
          log: env.options.json ? () => {} : (line) => env.note(env.err.dim(`[stack] ${line}`)),
        });
        if (env.options.json) return env.json(result);
        env.print(
          statusTable(env, result.services, (s) => `${s.action} in ${(s.durationMs / 1000).toFixed(1)} s`),
        );
        env.print(`stack up in ${(result.durationMs / 1000).toFixed(1)} s; for your shell:`);
        for (const [name, value] of Object.entries(result.endpoints)) env.print(`export ${name}=${value}`);
      }),
    );

  stack
    .command('down')
    .description('stop the services this stack started (by pid); leave others alone')
    .addOption(only())
    .action(
      action(ctx, async (env, opts: StackOptions) => {
        const result = await stackDown({ env: env.io.env, ...(opts.only && { services: opts.only }) });
        if (env.options.json) return env.json(result);
        env.print(
          result.stopped.length
            ? `stopped ${result.stopped.join(', ')}`
            : 'nothing started by this stack runs',
        );
      }),
    );

  stack
    .command('status')
    .description('probe each service with a real client call; exit code 1 when one is down')
    .addOption(only())
    .action(
      action(ctx, async (env, opts: StackOptions) => {
        const services = await stackStatus({ env: env.io.env, ...(opts.only && { services: opts.only }) });
        if (env.options.json) env.json({ services, endpoints: stackEndpoints(env.io.env) });
        else env.print(statusTable(env, services));
        if (services.some((s) => !s.running)) env.setExitCode(1);
      }),
    );
}

function statusTable<S extends ServiceStatus>(
  env: CommandEnv,
  services: S[],
  extra?: (s: S) => string,
): string {
  return formatTable(services, [
    { header: 'SERVICE', value: (s) => s.name },
    { header: 'STATE', value: (s) => (s.running ? env.out.green('running') : env.out.red('down')) },
    { header: 'ENDPOINT', value: (s) => s.endpoint },
    { header: 'PID', value: (s) => s.pid ?? (s.running ? 'external' : null), align: 'right' },
    { header: extra ? 'ACTION' : 'DESCRIPTION', value: (s) => (extra ? extra(s) : s.description) },
  ]);
}

function parseServices(value: string): ServiceName[] {
  const names = value.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!SERVICE_NAMES.includes(name as ServiceName)) {
      throw new InvalidArgumentError(`unknown service "${name}": choose from ${SERVICE_NAMES.join(', ')}.`);
    }
  }
  return names as ServiceName[];
}
