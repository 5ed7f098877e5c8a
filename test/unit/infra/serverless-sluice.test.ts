/**
 * infra/serverless-sluice.cjs without osls: validation of custom.sluice and its mapping onto a
 * compiled template (the real packaging is covered by test/integration/deploy/template.test.ts).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

type Options = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: compiled CloudFormation is untyped JSON, read by tests
type Resources = Record<string, any>;
interface PluginModule {
  validateSluiceSection(section: unknown, functionNames: string[]): Map<string, Options>;
  applyToTemplate(
    template: { Resources: Resources },
    options: Map<string, Options>,
    service: { lambdaLogicalId: (name: string) => string; declaredEnvironment?: Record<string, Options> },
  ): string[];
  addFlushSchedules(service: FakeService, section: unknown): string[];
  applyNamespace(
    template: { Resources: Resources },
    names: string[],
    namespace: string,
    service: { lambdaLogicalId: (name: string) => string; declaredEnvironment?: Record<string, Options> },
  ): void;
}

/** The part of osls's service object the plugin reads before events compile. */
interface FakeService {
  getAllFunctions(): string[];
  getFunction(name: string): { events?: Array<Record<string, unknown>> };
}

function service(functions: Record<string, Array<Record<string, unknown>>>): FakeService {
  const fns = Object.fromEntries(Object.entries(functions).map(([name, events]) => [name, { events }]));
  return { getAllFunctions: () => Object.keys(fns), getFunction: (name) => fns[name]! };
}

const plugin = createRequire(import.meta.url)('../../../infra/serverless-sluice.cjs') as PluginModule;
const lambdaLogicalId = (name: string) => `${name[0]!.toUpperCase()}${name.slice(1)}LambdaFunction`;

/** A compiled template with one function and its Kafka trigger (as osls compiles an msk event). */
function template(mapping: Record<string, unknown> = {}): { Resources: Resources } {
  return {
    Resources: {
      CountLambdaFunction: {
        Type: 'AWS::Lambda::Function',
        Properties: { Environment: { Variables: { A: '1' } } },
      },
      CountEventSourceMappingMSKDemoTest: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          FunctionName: { 'Fn::GetAtt': ['CountLambdaFunction', 'Arn'] },
          Topics: ['test'],
          ProvisionedPollerConfig: { MinimumPollers: 1 },
          ...mapping,
        },
      },
      OtherLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: {} },
    },
  };
}

function apply(section: unknown, t = template(), declaredEnvironment: Record<string, Options> = {}) {
  const options = plugin.validateSluiceSection(section, ['count', 'other']);
  plugin.applyToTemplate(t, options, { lambdaLogicalId, declaredEnvironment });
  return t;
}

describe('serverless-sluice plugin', () => {
  it('maps every option onto the CloudFormation properties Lambda documents for Kafka', () => {
    const t = apply({
      functions: {
        count: {
          maximumRetryAttempts: 3,
          maximumRecordAgeInSeconds: 600,
          bisectBatchOnFunctionError: true,
          reportBatchItemFailures: true,
          onFailureTopic: 'count-dlt',
        },
      },
    });
    expect(t.Resources.CountEventSourceMappingMSKDemoTest.Properties).toMatchObject({
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 600,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: 'kafka://count-dlt' } },
    });
    expect(t.Resources.CountLambdaFunction.Properties.Environment.Variables).toEqual({
      A: '1',
      SLUICE_REPORT_BATCH_ITEM_FAILURES: 'true',
    });
    expect(t.Resources.OtherLambdaFunction.Properties).toEqual({});
  });

  it('sets SLUICE_REPORT_BATCH_ITEM_FAILURES only when reportBatchItemFailures is on', () => {
    const t = apply({ functions: { count: { reportBatchItemFailures: false, maximumRetryAttempts: -1 } } });
    expect(t.Resources.CountLambdaFunction.Properties.Environment.Variables).toEqual({ A: '1' });
    expect(t.Resources.CountEventSourceMappingMSKDemoTest.Properties).not.toHaveProperty(
      'FunctionResponseTypes',
    );
    expect(t.Resources.CountEventSourceMappingMSKDemoTest.Properties.MaximumRetryAttempts).toBe(-1);
  });

  it('changes nothing without a custom.sluice section', () => {
    const before = JSON.stringify(template());
    expect(JSON.stringify(apply(undefined))).toBe(before);
  });

  it.each([
    [{ function: {} }, /custom\.sluice\.function is not a Sluice setting; allowed: functions/],
    [
      { functions: { counter: {} } },
      /there is no function "counter" in this service \(functions: count, other\)/,
    ],
    [
      { functions: { count: { retries: 2 } } },
      /custom\.sluice\.functions\.count\.retries is not a Sluice option; allowed: max/,
    ],
    [
      { functions: { count: { maximumRetryAttempts: 10_001 } } },
      /maximumRetryAttempts must be -1 \(infinite\) or an integer from 0 to 10000/,
    ],
    [{ functions: { count: { maximumRetryAttempts: 1.5 } } }, /maximumRetryAttempts must be -1/],
    [
      { functions: { count: { maximumRecordAgeInSeconds: 30 } } },
      /maximumRecordAgeInSeconds must be -1 \(infinite\) or an integer from 60 to 604800/,
    ],
    [
      { functions: { count: { bisectBatchOnFunctionError: 'yes' } } },
      /bisectBatchOnFunctionError must be true or false, got "yes"/,
    ],
    [
      { functions: { count: { onFailureTopic: 'kafka://dlt' } } },
      /onFailureTopic must be a Kafka topic name .* give the bare name/,
    ],
    [{ functions: { count: 'on' } }, /custom\.sluice\.functions\.count must be an object/],
    [{ namespace: 'a.b' }, /custom\.sluice\.namespace must be 1-96 letters, digits/],
    [{ flushSchedule: 'every 5 minutes' }, /flushSchedule must be an EventBridge schedule expression/],
  ])('rejects %j', (section, message) => {
    expect(() => apply(section)).toThrow(message);
  });

  it('requires provisioned mode for any error handling option', () => {
    const t = template({ ProvisionedPollerConfig: undefined });
    expect(() => apply({ functions: { count: { bisectBatchOnFunctionError: true } } }, t)).toThrow(
      /bisectBatchOnFunctionError need\(s\) provisioned mode on the Kafka trigger: add provisionedPollerConfig/,
    );
    // Turning an option off needs nothing.
    expect(() =>
      apply(
        { functions: { count: { bisectBatchOnFunctionError: false } } },
        template({ ProvisionedPollerConfig: undefined }),
      ),
    ).not.toThrow();
  });

  it('refuses an on-failure topic equal to the source topic, or a second destination', () => {
    expect(() => apply({ functions: { count: { onFailureTopic: 'test' } } })).toThrow(
      /is the trigger's own topic/,
    );
    const t = template({ DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:1:q' } } });
    expect(() => apply({ functions: { count: { onFailureTopic: 'dlt' } } }, t)).toThrow(
      /already has an on-failure destination/,
    );
  });

  it('refuses options for a function without a Kafka trigger', () => {
    expect(() => apply({ functions: { other: { maximumRetryAttempts: 1 } } })).toThrow(
      /function "other" has no msk or kafka event/,
    );
  });

  it('refuses SLUICE_REPORT_BATCH_ITEM_FAILURES set by hand', () => {
    expect(() => apply({}, template(), { other: { SLUICE_REPORT_BATCH_ITEM_FAILURES: 'true' } })).toThrow(
      /SLUICE_REPORT_BATCH_ITEM_FAILURES is set by hand for function "other": remove it and set custom\.sluice\.functions\.other\.reportBatchItemFailures/,
    );
  });

  it('schedules the outbox flush on every Kafka function (input {"sluice":"flush"}), or on none when off', () => {
    const svc = service({ count: [{ msk: { topic: 'test' } }], cron: [{ schedule: 'rate(1 hour)' }] });
    expect(plugin.addFlushSchedules(svc, undefined)).toEqual(['count']);
    expect(svc.getFunction('count').events).toEqual([
      { msk: { topic: 'test' } },
      { schedule: { rate: ['rate(5 minutes)'], enabled: true, input: { sluice: 'flush' } } },
    ]);
    expect(svc.getFunction('cron').events).toHaveLength(1);
    const custom = service({ count: [{ kafka: { topic: 'test' } }] });
    plugin.addFlushSchedules(custom, { flushSchedule: 'rate(1 minute)' });
    expect(custom.getFunction('count').events?.[1]).toMatchObject({ schedule: { rate: ['rate(1 minute)'] } });
    expect(plugin.addFlushSchedules(service({ count: [{ msk: {} }] }), { flushSchedule: false })).toEqual([]);
  });

  it('sets SLUICE_NAMESPACE on Kafka functions unless set by hand, and refuses one Kafka cannot carry', () => {
    const t = template();
    plugin.applyNamespace(t, ['count'], 'sluice-prod', { lambdaLogicalId });
    expect(t.Resources.CountLambdaFunction.Properties.Environment.Variables).toEqual({
      A: '1',
      SLUICE_NAMESPACE: 'sluice-prod',
    });
    const kept = template();
    plugin.applyNamespace(kept, ['count'], 'sluice-prod', {
      lambdaLogicalId,
      declaredEnvironment: { count: { SLUICE_NAMESPACE: 'mine' } },
    });
    expect(kept.Resources.CountLambdaFunction.Properties.Environment.Variables).toEqual({ A: '1' });
    expect(() => plugin.applyNamespace(template(), ['count'], 'my.service-dev', { lambdaLogicalId })).toThrow(
      /not a valid Kafka identity part: set custom\.sluice\.namespace/,
    );
  });
});
