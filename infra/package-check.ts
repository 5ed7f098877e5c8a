/**
 * `npm run package:check` (run by .ci/run): Sluice installs and works as a package, in a
 * project of its own.
 *
 * 1. `npm pack` (prepack builds dist/) into a temporary folder;
 * 2. `sluice init <tmp>/app --sluice <tarball>`;
 * 3. `npm install --offline` there: nothing is downloaded, every package comes from the npm
 *    cache that this repository's own `npm ci` filled. The cache holds the locked versions'
 *    tarballs and registry metadata listing every version, so a resolve without a lockfile would
 *    pick the newest version in range, which may not be cached. The project therefore gets a
 *    package-lock.json seeded from this repository's (the same exact versions, which the
 *    scaffold pins anyway); npm prunes what the project does not use;
 * 4. the project's `npm test` (tsc against the shipped .d.ts, then vitest with the harness from
 *    `sluice/testing`) and `npx sluice invoke` of its function, from the installed bin.
 *
 * `--keep` leaves the folder for a look.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildPackage } from './build';
import { REPO_ROOT } from './package';

interface Lockfile {
  name: string;
  version: string;
  packages: Record<string, Record<string, unknown>>;
}

const FUNCTION = 'counter';

async function main(): Promise<void> {
  const keep = process.argv.includes('--keep');
  const started = Date.now();
  const tmp = await mkdtemp(join(tmpdir(), 'sluice-package-'));
  try {
    step('build, pack');
    await buildPackage();
    // Built just above: --ignore-scripts keeps prepack's build and prepare's output off the JSON.
    const packed = JSON.parse(
      await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], REPO_ROOT, {
        quiet: true,
      }),
    ) as Array<{ filename: string; integrity: string; size: number; entryCount: number }>;
    const tarball = join(tmp, packed[0]!.filename);
    console.log(
      `  ${packed[0]!.filename}: ${packed[0]!.entryCount} files, ${(packed[0]!.size / 1024).toFixed(0)} KB`,
    );

    step('init');
    const app = join(tmp, 'app');
    await run(
      process.execPath,
      [join(REPO_ROOT, 'bin/sluice.mjs'), 'init', app, '--function', FUNCTION, '--sluice', tarball],
      REPO_ROOT,
    );
    await seedLockfile(app, tarball, packed[0]!.integrity);

    step('npm install --offline');
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund'], app);

    step('npm test (in the project)');
    await run('npm', ['test'], app);

    step('sluice invoke (the installed bin)');
    const output = await run('npx', ['--offline', 'sluice', 'invoke', FUNCTION, '--records', '-'], app, {
      input: '{"value": "hello"}\n{"value": "hello"}\n',
    });
    if (!output.includes('hello: 2')) throw new Error(`sluice invoke did not print "hello: 2":\n${output}`);

    step('sls package (serverless-esbuild + sluice/serverless-plugin, offline, dummy credentials)');
    await run('npx', ['--offline', 'sls', 'package', '--package', join(tmp, 'out')], app, {
      env: {
        AWS_ACCESS_KEY_ID: 'package-check',
        AWS_SECRET_ACCESS_KEY: 'package-check',
        AWS_PROFILE: undefined,
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    });
    const template = await readFile(join(tmp, 'out', 'cloudformation-template-update-stack.json'), 'utf8');
    // The plugin ran: it sets the deployment namespace and schedules the outbox flush.
    for (const expected of ['"SLUICE_NAMESPACE": "app-dev"', '{\\"sluice\\":\\"flush\\"}']) {
      if (!template.includes(expected)) throw new Error(`the packaged template lacks ${expected}`);
    }

    console.log(`\npackage check passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    if (keep) console.log(`kept ${tmp}`);
    else await rm(tmp, { recursive: true, force: true });
  }
}

/** The project's lockfile: this repository's resolution, with the project and the tarball as roots. */
async function seedLockfile(app: string, tarball: string, integrity: string): Promise<void> {
  const lock = JSON.parse(await readFile(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
  const project = JSON.parse(await readFile(join(app, 'package.json'), 'utf8'));
  const sluice = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8'));
  const { '': _repo, ...packages } = lock.packages;
  const seeded: Lockfile = {
    ...lock,
    name: project.name,
    version: project.version,
    packages: {
      '': {
        name: project.name,
        version: project.version,
        dependencies: project.dependencies,
        devDependencies: project.devDependencies,
      },
      ...packages,
      'node_modules/sluice': {
        version: sluice.version,
        resolved: `file:${relative(app, tarball)}`,
        integrity,
        dependencies: sluice.dependencies,
        bin: sluice.bin,
        engines: sluice.engines,
      },
    },
  };
  await writeFile(join(app, 'package-lock.json'), `${JSON.stringify(seeded, null, 2)}\n`);
}

function step(name: string): void {
  console.log(`\n▸ ${name}`);
}

/** Runs a command, echoing its output (unless quiet); resolves with stdout, rejects on failure. */
function run(
  command: string,
  args: string[],
  cwd: string,
  options: { quiet?: boolean; input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      if (!options.quiet) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
      if (!options.quiet) process.stderr.write(chunk);
    });
    child.stdin.end(options.input ?? '');
    child.on('error', fail);
    child.on('exit', (code) => {
      if (code === 0) done(stdout);
      else
        fail(
          new Error(
            `${command} ${args.join(' ')} (in ${cwd}) exited ${code}${options.quiet ? `:\n${stderr}` : ''}`,
          ),
        );
    });
  });
}

await main();
