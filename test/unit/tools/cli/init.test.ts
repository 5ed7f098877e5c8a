import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { run } from './fake-io';

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'sluice-init-'));
});
afterEach(() => rm(cwd, { recursive: true, force: true }));

const own = JSON.parse(await readFile(new URL('../../../../package.json', import.meta.url), 'utf8'));

describe('sluice init', () => {
  it('scaffolds package.json on sluice, serverless.yml with the plugin, the function, a harness test, README', async () => {
    const result = await run(['init', 'my-app', '--function', 'orders', '--topic', 'orders-in'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('next: cd my-app && npm install && npm test');
    const file = (path: string) => readFile(join(cwd, 'my-app', path), 'utf8');

    const pkg = JSON.parse(await file('package.json'));
    expect(pkg).toMatchObject({ name: 'my-app', type: 'module', dependencies: { sluice: own.version } });
    expect(pkg.devDependencies.vitest).toBe(own.devDependencies.vitest);
    expect(pkg.devDependencies.esbuild).toBe(own.dependencies.esbuild);

    const sls = parse(await file('serverless.yml'));
    expect(sls.plugins).toEqual(['serverless-esbuild', 'sluice/serverless-plugin']);
    expect(sls.functions.orders.handler).toBe('functions/orders.handler');
    expect(sls.functions.orders.events[0].msk.topic).toBe('orders-in');

    expect(await file('functions/orders.ts')).toContain("from 'sluice'");
    expect(await file('test/orders.test.ts')).toContain("from 'sluice/testing'");
    expect(await file('README.md')).toContain('npx sluice invoke orders');
  });

  it('writes a tarball as an absolute file: dependency', async () => {
    await writeFile(join(cwd, 'sluice-0.1.0.tgz'), '');
    const result = await run(['init', 'app', '--sluice', './sluice-0.1.0.tgz'], { cwd });
    expect(result.code).toBe(0);
    const pkg = JSON.parse(await readFile(join(cwd, 'app', 'package.json'), 'utf8'));
    expect(pkg.dependencies.sluice).toBe(`file:${join(cwd, 'sluice-0.1.0.tgz')}`);
  });

  it('refuses a non-empty directory, a missing tarball and a bad function name (exit 2)', async () => {
    await mkdir(join(cwd, 'taken'));
    await writeFile(join(cwd, 'taken', 'x'), '');
    const taken = await run(['init', 'taken'], { cwd });
    expect(taken).toMatchObject({ code: 2, stderr: expect.stringContaining('exists and is not empty') });
    const missing = await run(['init', 'a', '--sluice', `${randomUUID()}.tgz`], { cwd });
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('run npm pack first') });
    const bad = await run(['init', 'b', '--function', 'Bad_Name'], { cwd });
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--function Bad_Name') });
  });
});
