// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Serverless Framework variables, not templates
import { describe, expect, it } from 'vitest';
import { isUnresolved, resolveVariables } from '../../../../tools/trigger/variables';

const self = {
  service: 'svc',
  custom: { topic: 'events', size: 10, nested: '${self:custom.topic}-x' },
  params: { default: { arn: 'arn:default' }, prod: { arn: 'arn:prod' } },
};
const resolve = (value: unknown, env: NodeJS.ProcessEnv = {}, stage = 'dev') =>
  resolveVariables(value, { env, stage, region: 'us-east-1', self });

describe('serverless variables', () => {
  it('resolves env, self, opt/sls, params, fallbacks and nesting', () => {
    expect(resolve('${env:HOME_DIR}', { HOME_DIR: '/h' })).toBe('/h');
    expect(resolve("${env:MISSING, 'fallback'}")).toBe('fallback');
    expect(resolve('${env:MISSING, ${self:custom.topic}}')).toBe('events');
    expect(resolve('${self:custom.size}')).toBe(10);
    expect(resolve('${self:custom.nested}')).toBe('events-x');
    expect(resolve('${self:service}-${sls:stage}-${opt:region}')).toBe('svc-dev-us-east-1');
    expect(resolve('${param:arn}')).toBe('arn:default');
    expect(resolve('${param:arn}', {}, 'prod')).toBe('arn:prod');
    expect(resolve('${env:N, 5}')).toBe(5);
    expect(resolve({ a: ['${self:service}'] })).toEqual({ a: ['svc'] });
  });

  it('leaves what it cannot resolve locally as it is', () => {
    expect(resolve('${ssm:/path}')).toBe('${ssm:/path}');
    expect(resolve('x-${cf:stack.Output}')).toBe('x-${cf:stack.Output}');
    expect(isUnresolved(resolve('${env:NOPE}'))).toBe(true);
    expect(isUnresolved('plain')).toBe(false);
  });
});
