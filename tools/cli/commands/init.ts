import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { action, type CliContext } from '../context';
import { DEV_TOOLS, type DevTool, projectFiles } from '../init-templates';
import { UsageError } from '../usage-error';

const NAME = /^[a-z][a-z0-9-]{0,63}$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

/** `sluice init <dir>`: a new project that installs Sluice as a package, with one function. */
export function registerInitCommand(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description(
      'scaffold a project of its own: package.json depending on sluice, serverless.yml, one function, a harness test',
    )
    .argument('<dir>', 'the new project directory (created; must be empty if it exists)')
    .option('--function <name>', 'the function name', 'counter')
    .option('--topic <topic>', 'the Kafka topic the function reads', 'events')
    .option(
      '--sluice <version|tarball>',
      "what the project's package.json depends on: a version, or a tarball from `npm pack` (path or file:path) (default: this sluice's version)",
    )
    .addHelpText(
      'after',
      `
Then: cd <dir> && npm install && npm test

Example (a project on a locally packed Sluice):
  npm pack && npx sluice init ../my-app --sluice ./sluice-0.1.0.tgz`,
    )
    .action(
      action(ctx, async (env, dir: string, opts: { function: string; topic: string; sluice?: string }) => {
        const cwd = env.io.cwd;
        const target = resolve(cwd, dir);
        if (!NAME.test(opts.function)) {
          throw new UsageError(`--function ${opts.function}: use lowercase letters, digits and dashes`);
        }
        if (!TOPIC.test(opts.topic))
          throw new UsageError(`--topic ${opts.topic}: not a valid Kafka topic name`);
        if (existsSync(target) && (await readdir(target)).length > 0) {
          throw new UsageError(`${dir} exists and is not empty: give a new or empty directory`);
        }
        const own = ownPackage();
        const project = basename(target)
          .toLowerCase()
          .replace(/[^a-z0-9-]+/g, '-')
          .replace(/^-+|-+$/g, '');
        const files = projectFiles({
          project: NAME.test(project) ? project : 'sluice-app',
          fn: opts.function,
          topic: opts.topic,
          sluice: sluiceSpec(opts.sluice, own.version, cwd),
          versions: Object.fromEntries(DEV_TOOLS.map((tool) => [tool, own.versionOf(tool)])) as Record<
            DevTool,
            string
          >,
        });
        for (const [path, text] of Object.entries(files)) {
          await mkdir(dirname(join(target, path)), { recursive: true });
          await writeFile(join(target, path), text, { flag: 'wx' });
        }
        if (env.options.json) return env.json({ dir: target, files: Object.keys(files) });
        env.print(`created ${relative(cwd, target) || '.'}: ${Object.keys(files).join(', ')}`);
        env.print(`next: cd ${relative(cwd, target) || '.'} && npm install && npm test`);
      }),
    );
}

/** A tarball (path or file:path) becomes an absolute file: spec, so it works from the new dir. */
function sluiceSpec(given: string | undefined, version: string, cwd: string): string {
  if (given === undefined) return version;
  const path = given.startsWith('file:') ? given.slice('file:'.length) : given;
  if (given.startsWith('file:') || /\.(tgz|tar\.gz)$/.test(given)) {
    const absolute = resolve(cwd, path);
    if (!existsSync(absolute)) throw new UsageError(`--sluice ${given}: no such file (run npm pack first)`);
    return `file:${absolute}`;
  }
  return given;
}

/**
 * Sluice's own package.json, found upwards from this module (tools/cli/commands in the
 * repository, dist/ or dist/chunks in the installed package): the project uses the versions of
 * the tools Sluice is tested with.
 */
function ownPackage() {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as {
        name?: string;
        version: string;
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      };
      if (pkg.name === 'sluice') {
        return {
          version: pkg.version,
          versionOf(tool: string): string {
            const version = pkg.dependencies?.[tool] ?? pkg.devDependencies?.[tool];
            if (!version) throw new Error(`sluice's package.json does not name ${tool}`);
            return version;
          },
        };
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json of sluice above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}
