import { describe, expect, it } from 'vitest';
import { coerceLikeOsls } from '../../../../tools/trigger/osls-coerce';
import { parseServerlessConfig } from '../../../../tools/trigger/serverless-config';

describe('coerceLikeOsls (AJV coerceTypes: "array")', () => {
  it.each([
    ['309', 'number', 309],
    [' 309 ', 'number', 309],
    ['1e3', 'number', 1000],
    ['0x10', 'number', 16],
    ['2.5', 'number', 2.5],
    [true, 'number', 1],
    [null, 'number', 0],
    [[25], 'number', 25],
    ['abc', 'number', 'abc'],
    ['', 'number', ''],
    [[1, 2], 'number', [1, 2]],
    ['2.5', 'integer', '2.5'],
    ['20', 'integer', 20],
    ['true', 'boolean', true],
    ['false', 'boolean', false],
    [0, 'boolean', false],
    [1, 'boolean', true],
    ['yes', 'boolean', 'yes'],
    [123, 'string', '123'],
    [false, 'string', 'false'],
    [null, 'string', ''],
    [{ a: 1 }, 'string', { a: 1 }],
  ] as const)('%j as %s is %j', (value, type, expected) => {
    expect(coerceLikeOsls(value, type)).toEqual(expected);
  });
});

describe('serverless.yml values from variables', () => {
  const yml = `service: s
functions:
  fn:
    handler: h.handler
    timeout: \${env:TIMEOUT}
    events:
      - msk:
          arn: arn:aws:kafka:us-east-1:123456789012:cluster/c/x
          topic: t
          batchSize: \${env:BATCH}
          enabled: \${env:ENABLED}
`;
  it('reads batchSize from an env variable as the number osls deploys', () => {
    const config = parseServerlessConfig(yml, { env: { BATCH: '309', ENABLED: 'true', TIMEOUT: '20' } });
    expect(config.functions[0]?.triggers[0]?.batchSize).toBe(309);
    expect(config.functions[0]?.timeoutMs).toBe(20_000);
  });

  it('rejects what osls rejects, naming the key and the value', () => {
    expect(() =>
      parseServerlessConfig(yml, { env: { BATCH: 'many', ENABLED: 'true', TIMEOUT: '20' } }),
    ).toThrow('functions.fn.events[0].msk.batchSize must be an integer from 1 to 10000, got "many"');
    expect(() => parseServerlessConfig(yml, { env: { BATCH: '1', ENABLED: 'yes', TIMEOUT: '20' } })).toThrow(
      'functions.fn.events[0].msk.enabled must be true or false (osls rejects it), got "yes"',
    );
  });
});
