/**
 * `npm run package [-- --config serverless.self-managed.yml] [--out dir] [--param k=v] [--json]`:
 * runs `sls package` (osls, from node_modules) offline and prints each function's bundle size.
 *
 * No AWS account is involved: `sls package` only compiles the CloudFormation template and the
 * zips. The child gets dummy credentials and no profile or instance metadata, so nothing looks
 * credentials up (and a mistake can never reach a real account).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { lock } from 'proper-lockfile';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where osls writes the template it would deploy. */
export const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';

export interface PackageOptions {
  /** serverless config file, relative to the repo root (default `serverless.yml`) */
  config?: string;
  /** output directory (`sls package --package`), default `.serverless` */
  out?: string;
  stage?: string;
  region?: string;
  /** `--param` values, e.g. `{ mskClusterArn: 'arn:...' }` */
  params?: Record<string, string>;
  /** esbuild work folder under the repo root (default `.esbuild`) */
  workFolder?: string;
  /** streams sls output (default: collected, shown only on failure) */
  onOutput?: (chunk: string) => void;
}

export interface ZipEntry {
  name: string;
  compressedBytes: number;
  bytes: number;
}

export interface FunctionBundle {
  name: string;
  handler: string;
  zip: string;
  zipBytes: number;
  entries: ZipEntry[];
  /** the bundle Lambda loads (`.mjs`/`.js`), unzipped */
  codeBytes: number;
  /** source maps, unzipped */
  mapBytes: number;
}

export interface PackageResult {
  out: string;
  template: string;
  functions: FunctionBundle[];
  durationMs: number;
}

/** Packages the service offline and describes its artifacts. Rejects with sls's output on failure. */
export async function packageService(options: PackageOptions = {}): Promise<PackageResult> {
  const started = Date.now();
  const out = resolve(REPO_ROOT, options.out ?? '.serverless');
  const args = [oslsBin(), 'package', '--package', out, '--stage', options.stage ?? 'dev'];
  args.push('--region', options.region ?? 'us-east-1');
  if (options.config) args.push('--config', options.config);
  for (const [key, value] of Object.entries(options.params ?? {})) args.push(`--param=${key}=${value}`);

  // osls always stages its artifacts in `<service>/.serverless` before moving them to `--package`
  // and deletes that folder afterwards: two packagings of this service at once (parallel test
  // files, or `npm run package` beside the tests) would delete each other's files. One at a time.
  const release = await lock(REPO_ROOT, {
    lockfilePath: join(REPO_ROOT, '.serverless.lock'),
    retries: { retries: 600, minTimeout: 200, maxTimeout: 1000 },
  });
  let output: string;
  try {
    output = await runNode(args, offlineEnv(options.workFolder), options.onOutput);
  } finally {
    await release();
  }
  const template = join(out, TEMPLATE_FILE);
  if (!existsSync(template)) {
    throw new Error(`sls package ran but wrote no ${TEMPLATE_FILE} in ${out}:\n${output}`);
  }
  return { out, template, functions: await describeBundles(out), durationMs: Date.now() - started };
}

/**
 * The environment of the sls child: dummy static credentials and no profile, config file or
 * instance metadata, so the SDK's credential chain stops at the first step.
 */
export function offlineEnv(workFolder?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('AWS_') || name.startsWith('SLS_') || name.startsWith('SERVERLESS_'))
      delete env[name];
  }
  Object.assign(env, {
    AWS_ACCESS_KEY_ID: 'sluice-offline-package',
    AWS_SECRET_ACCESS_KEY: 'sluice-offline-package',
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_INTERACTIVE_SETUP_DISABLE: '1',
    ...(workFolder ? { SLUICE_ESBUILD_WORK_FOLDER: workFolder } : {}),
  });
  return env;
}

function oslsBin(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('osls/package.json');
  const { bin } = require('osls/package.json') as { bin: Record<string, string> };
  return join(dirname(manifest), bin.sls ?? 'bin/serverless.js');
}

function runNode(
  args: string[],
  env: NodeJS.ProcessEnv,
  onOutput?: (chunk: string) => void,
): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      onOutput?.(text);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolvePromise(output);
      else reject(new Error(`sls ${args.slice(1).join(' ')} failed (${code ?? signal}):\n${output.trim()}`));
    });
  });
}

/** Each function's zip (from serverless-state.json) with its entries' sizes. */
export async function describeBundles(out: string): Promise<FunctionBundle[]> {
  const state = JSON.parse(await readFile(join(out, 'serverless-state.json'), 'utf8')) as {
    service: { functions: Record<string, { handler?: string; package?: { artifact?: string } }> };
  };
  const bundles: FunctionBundle[] = [];
  for (const [name, fn] of Object.entries(state.service.functions)) {
    const artifact = fn.package?.artifact;
    if (!artifact) continue;
    // The state records the path as packaged; the zip is in `out` under its base name.
    const zip = isAbsolute(artifact) && existsSync(artifact) ? artifact : join(out, basename(artifact));
    const entries = readZipEntries(await readFile(zip));
    const isCode = (entry: ZipEntry) => /\.(mjs|cjs|js)$/.test(entry.name);
    bundles.push({
      name,
      handler: fn.handler ?? '',
      zip,
      zipBytes: (await stat(zip)).size,
      entries,
      codeBytes: sum(entries.filter(isCode)),
      mapBytes: sum(entries.filter((entry) => entry.name.endsWith('.map'))),
    });
  }
  return bundles.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Lists a zip's entries from its central directory (no extraction, no dependency).
 * @see https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT (4.3.12, 4.3.16)
 */
export function readZipEntries(zip: Buffer): ZipEntry[] {
  const EOCD = 0x06054b50;
  const CENTRAL = 0x02014b50;
  let eocd = -1;
  // The end record is 22 bytes plus a comment of at most 65535 bytes.
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory record)');
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== CENTRAL) throw new Error(`corrupt zip: no central header at ${offset}`);
    const compressedBytes = zip.readUInt32LE(offset + 20);
    const bytes = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    if (!name.endsWith('/')) entries.push({ name, compressedBytes, bytes });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function sum(entries: ZipEntry[]): number {
  return entries.reduce((total, entry) => total + entry.bytes, 0);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

export function formatReport(result: PackageResult): string {
  const rows = result.functions.map((fn) => [
    fn.name,
    formatBytes(fn.zipBytes),
    formatBytes(fn.codeBytes),
    formatBytes(fn.mapBytes),
    fn.entries.map((entry) => entry.name).join(', '),
  ]);
  const header = ['function', 'zip', 'code (unzipped)', 'source map', 'files'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    line(header),
    ...rows.map(line),
    '',
    `template: ${result.template}`,
    `packaged in ${(result.durationMs / 1000).toFixed(1)} s`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      out: { type: 'string' },
      stage: { type: 'string' },
      region: { type: 'string' },
      param: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
    },
  });
  const params: Record<string, string> = {};
  for (const pair of values.param ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--param expects key=value, got ${JSON.stringify(pair)}`);
    params[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const result = await packageService({
    config: values.config,
    out: values.out,
    stage: values.stage,
    region: values.region,
    params,
    onOutput: values.verbose ? (chunk) => process.stderr.write(chunk) : undefined,
  });
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else console.log(formatReport(result));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
