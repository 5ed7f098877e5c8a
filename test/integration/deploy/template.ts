/**
 * Reading a packaged CloudFormation template in tests: resources by type, IAM statements, and a
 * small evaluator for the intrinsic functions serverless.yml uses to derive ARNs.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PackageOptions, type PackageResult, packageService } from '../../../infra/package';

export interface Resource {
  Type: string;
  // biome-ignore lint/suspicious/noExplicitAny: compiled CloudFormation is untyped JSON, read by tests
  Properties: Record<string, any>;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface Template {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, unknown>;
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Packages into a fresh temp dir with its own esbuild work folder (safe next to other runs). */
export async function packageToTemp(
  options: Omit<PackageOptions, 'out' | 'workFolder'> = {},
): Promise<{ result: PackageResult; template: Template }> {
  const out = await mkdtemp(join(tmpdir(), 'sluice-package-'));
  try {
    const result = await packageService({ ...options, out, workFolder: `.esbuild/test-${randomUUID()}` });
    const template = JSON.parse(await readFile(result.template, 'utf8')) as Template;
    return { result, template };
  } catch (error) {
    await rm(out, { recursive: true, force: true });
    throw error;
  }
}

export function resourcesOfType(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

export function only<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected exactly one ${what}, found ${items.length}`);
  return items[0]!;
}

/** The Kafka event source mapping of a function (by its compiled logical id). */
export function mappingOf(template: Template, lambdaLogicalId: string): Resource {
  return only(
    resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')
      .filter(([, r]) => JSON.stringify(r.Properties.FunctionName).includes(`"${lambdaLogicalId}"`))
      .map(([, r]) => r),
    `event source mapping of ${lambdaLogicalId}`,
  );
}

/** Every statement of every IAM policy in the template (inline role policies and policy resources). */
export function iamStatements(template: Template): Statement[] {
  const statements: Statement[] = [];
  for (const [, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of resource.Properties.Policies ?? [])
        statements.push(...policy.PolicyDocument.Statement);
    }
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      statements.push(...resource.Properties.PolicyDocument.Statement);
    }
  }
  return statements;
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

export function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/**
 * Evaluates the intrinsics serverless.yml uses on literals (Fn::Sub with a variable map,
 * Fn::Select, Fn::Split, Fn::Join); Ref and Fn::GetAtt become `ref:<id>` / `getatt:<id>.<attr>`.
 */
export function evaluate(value: unknown): unknown {
  if (typeof value === 'string' || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(evaluate);
  const record = value as Record<string, unknown>;
  const [key] = Object.keys(record);
  const arg = record[key!];
  switch (key) {
    case 'Ref':
      return `ref:${arg}`;
    case 'Fn::GetAtt':
      return `getatt:${(arg as string[]).join('.')}`;
    case 'Fn::Join': {
      const [separator, parts] = arg as [string, unknown[]];
      return (evaluate(parts) as unknown[]).map(String).join(separator);
    }
    case 'Fn::Split': {
      const [separator, text] = arg as [string, unknown];
      return String(evaluate(text)).split(separator);
    }
    case 'Fn::Select': {
      const [index, list] = arg as [number, unknown];
      return (evaluate(list) as unknown[])[Number(index)];
    }
    case 'Fn::Sub': {
      const [text, variables] = (typeof arg === 'string' ? [arg, {}] : arg) as [
        string,
        Record<string, unknown>,
      ];
      return text.replace(/\$\{([^}]+)\}/g, (match, name: string) =>
        name in variables ? String(evaluate(variables[name])) : match,
      );
    }
    default:
      return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, evaluate(v)]));
  }
}
