/** The machine a run measured on: printed at the top of BENCHMARKS.md. */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { kafkaOptionsFromEnv } from '../../infra/local/kafka';
import { stackStatus } from '../../infra/local/stack';
import { REPO_ROOT } from './paths';

export interface MachineInfo {
  nproc: number;
  memoryBytes: number;
  cpuModel: string;
  node: string;
  platform: string;
  kafka: string;
  kafkajs: string;
  /** 1-minute load average at the start: how busy the shared machine was */
  loadAverage: number;
}

export async function machineInfo(): Promise<MachineInfo> {
  return {
    nproc: availableParallelism(),
    memoryBytes: totalmem(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    kafka: await kafkaVersion(),
    kafkajs: packageVersion('kafkajs'),
    loadAverage: loadavg()[0] ?? 0,
  };
}

function packageVersion(name: string): string {
  try {
    return (
      JSON.parse(readFileSync(`${REPO_ROOT}/node_modules/${name}/package.json`, 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    return 'unknown';
  }
}

/**
 * The broker's version, from the command line of the running broker when this stack started it
 * (its classpath names the version's jar folder), else the configured version.
 */
async function kafkaVersion(): Promise<string> {
  const configured = kafkaOptionsFromEnv(process.env).version;
  try {
    const [kafka] = await stackStatus({ services: ['kafka'] });
    if (kafka?.pid) {
      const cmdline = readFileSync(`/proc/${kafka.pid}/cmdline`, 'utf8');
      const version = /kafka[/_-](?:2\.1[23]-)?(\d+\.\d+\.\d+)/.exec(cmdline)?.[1];
      if (version) return `Apache Kafka ${version} (KRaft, single node, 127.0.0.1)`;
    }
  } catch {
    // fall through to the configured version
  }
  return `Apache Kafka ${configured} (configured; KRaft, single node, 127.0.0.1)`;
}
