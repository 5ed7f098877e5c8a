/**
 * `tsx infra/local/cfn-lint.ts [template ...]`: AWS's CloudFormation linter (PyPI `cfn-lint`,
 * pinned) on templates, installed once into a venv under the cache dir:
 * `${SLUICE_CACHE_DIR:-~/.cache/sluice}/cfn-lint-venv`. Without arguments it lints the packaged
 * template (`.serverless/`, from `npm run package`) and `infra/cloudformation/*.yml`.
 *
 * Exit code 1 when any template has an error (warnings and informational findings are printed,
 * not fatal).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, stackPaths } from './paths';
import { capture, requireCommand, run, withLock } from './process';

/** Pinned so findings do not change under the suite; bump deliberately. */
export const CFN_LINT_VERSION = '1.58.0';

export interface CfnLintFinding {
  level: 'Error' | 'Warning' | 'Informational' | string;
  rule: string;
  message: string;
  file: string;
  line: number;
}

export interface CfnLintResult {
  findings: CfnLintFinding[];
  errors: CfnLintFinding[];
  /** cfn-lint's exit code: a bit mask, 2 = errors, 4 = warnings, 8 = informational */
  exitCode: number;
}

/** The venv's cfn-lint executable, installing it first when missing (or at another version). */
export async function ensureCfnLint(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { cacheDir, logsDir } = stackPaths(env);
  const dir = join(cacheDir, 'cfn-lint-venv');
  const bin = join(dir, 'bin', 'cfn-lint');
  // A venv is not relocatable: build it in place, marked complete (with its version) after pip.
  const marker = join(dir, '.installed');
  const installed = async () =>
    existsSync(marker) && (await readFile(marker, 'utf8')).trim() === CFN_LINT_VERSION;
  if (await installed()) return bin;
  const python = requireCommand(
    'python3',
    'Python 3.9+ with venv (Debian: apt-get install python3-venv)',
    env,
  );
  const logFile = join(logsDir, 'cfn-lint-install.log');
  await withLock(`${dir}.lock`, async () => {
    if (await installed()) return;
    await rm(dir, { recursive: true, force: true });
    await run(python, ['-m', 'venv', dir], {
      logFile,
      what: 'creating the cfn-lint virtualenv (Debian: apt-get install python3-venv)',
    });
    await run(
      join(dir, 'bin', 'pip'),
      ['install', '--disable-pip-version-check', '--no-input', '-q', `cfn-lint==${CFN_LINT_VERSION}`],
      { logFile, what: `pip install cfn-lint==${CFN_LINT_VERSION}` },
    );
    await writeFile(marker, `${CFN_LINT_VERSION}\n`);
  });
  return bin;
}

/** Lints templates (JSON or YAML); resolves with every finding, rejects only if cfn-lint crashes. */
export async function cfnLint(
  templates: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<CfnLintResult> {
  if (templates.length === 0) throw new Error('cfnLint: no template given');
  const bin = await ensureCfnLint(env);
  const { code, stdout, stderr } = await capture(bin, ['--format', 'json', '--', ...templates], env);
  // 0 = clean; otherwise bits 2/4/8. Anything else (1, or output that is not JSON) is a crash.
  if (code !== 0 && (code & 1) === 1) {
    throw new Error(`cfn-lint failed (exit code ${code}):\n${stderr || stdout}`);
  }
  let raw: Array<{
    Level: string;
    Rule: { Id: string };
    Message: string;
    Filename: string;
    Location: { Start: { LineNumber: number } };
  }>;
  try {
    raw = stdout.trim() ? JSON.parse(stdout) : [];
  } catch {
    throw new Error(`cfn-lint printed no JSON (exit code ${code}):\n${stdout}\n${stderr}`);
  }
  const findings = raw.map((f) => ({
    level: f.Level,
    rule: f.Rule.Id,
    message: f.Message,
    file: f.Filename,
    line: f.Location.Start.LineNumber,
  }));
  return { findings, errors: findings.filter((f) => f.level === 'Error'), exitCode: code };
}

export function formatFindings(findings: CfnLintFinding[]): string {
  return findings
    .map((f) => `${relative(REPO_ROOT, f.file)}:${f.line}: ${f.level} ${f.rule}: ${f.message}`)
    .join('\n');
}

/** `infra/cloudformation/*.yml`, absolute paths. */
export async function cloudFormationFragments(): Promise<string[]> {
  const dir = join(REPO_ROOT, 'infra', 'cloudformation');
  return (await readdir(dir))
    .filter((name) => name.endsWith('.yml') || name.endsWith('.yaml'))
    .sort()
    .map((name) => join(dir, name));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const templates = args.length
    ? args.map((file) => resolve(file))
    : [
        join(REPO_ROOT, '.serverless', 'cloudformation-template-update-stack.json'),
        ...(await cloudFormationFragments()),
      ];
  for (const template of templates) {
    if (!existsSync(template)) {
      throw new Error(`${relative(REPO_ROOT, template)} does not exist (run \`npm run package\` first?)`);
    }
  }
  const result = await cfnLint(templates);
  if (result.findings.length) console.log(formatFindings(result.findings));
  console.log(
    `cfn-lint ${CFN_LINT_VERSION}: ${templates.length} template(s), ${result.errors.length} error(s), ` +
      `${result.findings.length - result.errors.length} other finding(s)`,
  );
  if (result.errors.length > 0) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
