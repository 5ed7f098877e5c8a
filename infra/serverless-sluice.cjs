'use strict';

/**
 * Serverless plugin: the deployment namespace, the scheduled outbox flush, and Kafka error
 * handling for Sluice functions (every function with an `msk` or `kafka` event).
 *
 * - SLUICE_NAMESPACE=<service>-<stage> (or `custom.sluice.namespace`) on every Sluice function:
 *   it is part of each Kafka identity, so two stages on one cluster never share a transactional
 *   id or an outbox marker.
 * - a `schedule` event per Sluice function (`custom.sluice.flushSchedule`, default
 *   `rate(5 minutes)`; `false` turns it off) with input {"sluice":"flush"}: it publishes and
 *   confirms the outboxes of idle partitions, so committed outputs never wait for the next
 *   record, and an expired outbox marker can never be mistaken for "not published". It must
 *   run at least once per broker `offsets.retention.minutes` (7 days by default). The same event
 *   is the tick of functions that keep time (lib/checkpoint/tick.ts): due processing-time timers,
 *   TTL expiry, idle advance of stream time; its rate is their resolution.
 *
 * osls's `msk` event schema rejects error-handling keys, so they live in
 * `custom.sluice.functions.<function>` (the local trigger emulator reads the same section):
 *
 *   custom:
 *     sluice:
 *       functions:
 *         word-count:
 *           maximumRetryAttempts: 5            # -> MaximumRetryAttempts (-1 = infinite, 0..10000)
 *           maximumRecordAgeInSeconds: 3600    # -> MaximumRecordAgeInSeconds (-1, 60..604800)
 *           bisectBatchOnFunctionError: true   # -> BisectBatchOnFunctionError
 *           reportBatchItemFailures: true      # -> FunctionResponseTypes: [ReportBatchItemFailures]
 *                                              #    + SLUICE_REPORT_BATCH_ITEM_FAILURES=true
 *           onFailureTopic: word-count-errors  # -> DestinationConfig.OnFailure.Destination kafka://...
 *           schemaRegistry:                    # -> <AmazonManaged|SelfManaged>KafkaEventSourceConfig
 *             uri: arn:aws:glue:…:registry/x   #      .SchemaRegistryConfig (Lambda decodes Avro,
 *             eventRecordFormat: JSON          #      Protobuf, JSON Schema before invoking; records
 *             validate: [value]                #      it cannot decode go to the on-failure
 *             accessConfigs: [{ type: BASIC_AUTH, uri: <secret ARN> }]   # destination)
 *
 * After `package:compileEvents` it sets these CloudFormation properties on every
 * AWS::Lambda::EventSourceMapping of the function (`msk` or `kafka` events). Lambda accepts them
 * on Kafka event source mappings only in provisioned mode (ProvisionedPollerConfig), so a
 * mapping without `provisionedPollerConfig` is an error here rather than at deploy time:
 * - https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html
 * - https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html
 *   ("Provisioned mode required"; same cluster; not one of the source topics)
 * - https://docs.aws.amazon.com/lambda/latest/dg/kafka-scaling-modes.html
 *
 * The function's SLUICE_REPORT_BATCH_ITEM_FAILURES is set exactly when reportBatchItemFailures is
 * on: the handler then answers with partial batch responses, which Lambda only honours with
 * FunctionResponseTypes set (otherwise it would take them for success and skip the records).
 */

const OPTION_KEYS = [
  'maximumRetryAttempts',
  'maximumRecordAgeInSeconds',
  'bisectBatchOnFunctionError',
  'reportBatchItemFailures',
  'onFailureTopic',
  'schemaRegistry',
];
const SCHEMA_REGISTRY_KEYS = ['uri', 'eventRecordFormat', 'validate', 'accessConfigs'];
const SCHEMA_REGISTRY_ACCESS = ['BASIC_AUTH', 'CLIENT_CERTIFICATE_TLS_AUTH', 'SERVER_ROOT_CA_CERTIFICATE'];
const GLUE_REGISTRY_ARN = /^arn:aws[a-z-]*:glue:[a-z0-9-]+:\d{12}:registry\/[A-Za-z0-9_.$#-]+$/;
const SECTION_KEYS = ['functions', 'namespace', 'flushSchedule'];
const NAMESPACE_ENV = 'SLUICE_NAMESPACE';
const DEFAULT_FLUSH_SCHEDULE = 'rate(5 minutes)';
/** lib/core/namespace.ts: it sits between '.' separators of Kafka transactional ids and group ids. */
const NAMESPACE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,95}$/;
const SCHEDULE = /^(rate|cron)\(.+\)$/;
const ESM_TYPE = 'AWS::Lambda::EventSourceMapping';
const REPORT_ENV = 'SLUICE_REPORT_BATCH_ITEM_FAILURES';
/** Lambda's documented ranges for Kafka event source mappings. */
const RETRY_RANGE = [0, 10_000];
const RECORD_AGE_RANGE = [60, 604_800];
/** Kafka's legal topic names. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * Validates `custom.sluice` against the service's functions; returns the options per function.
 * Throws an Error whose message names the setting to fix.
 *
 * @param {unknown} section `custom.sluice` (may be undefined)
 * @param {string[]} functionNames the service's function names
 * @returns {Map<string, Record<string, unknown>>}
 */
function validateSluiceSection(section, functionNames) {
  const where = 'custom.sluice';
  const result = new Map();
  if (section === undefined || section === null) return result;
  if (!isPlainObject(section)) throw new Error(`${where} must be an object with a "functions" map`);
  for (const key of Object.keys(section)) {
    if (!SECTION_KEYS.includes(key)) {
      throw new Error(`${where}.${key} is not a Sluice setting; allowed: ${SECTION_KEYS.join(', ')}`);
    }
  }
  if (
    section.namespace !== undefined &&
    (typeof section.namespace !== 'string' || !NAMESPACE.test(section.namespace))
  ) {
    throw new Error(
      `${where}.namespace must be 1-96 letters, digits, "_" or "-" (part of Kafka transactional ids), got ${JSON.stringify(section.namespace)}`,
    );
  }
  const schedule = section.flushSchedule;
  if (
    schedule !== undefined &&
    schedule !== false &&
    (typeof schedule !== 'string' || !SCHEDULE.test(schedule))
  ) {
    throw new Error(
      `${where}.flushSchedule must be an EventBridge schedule expression such as "rate(5 minutes)", or false, got ${JSON.stringify(schedule)}`,
    );
  }
  const functions = section.functions ?? {};
  if (!isPlainObject(functions)) throw new Error(`${where}.functions must map function names to options`);
  for (const [name, options] of Object.entries(functions)) {
    const at = `${where}.functions.${name}`;
    if (!functionNames.includes(name)) {
      throw new Error(
        `${at}: there is no function "${name}" in this service (functions: ${functionNames.join(', ') || 'none'})`,
      );
    }
    if (!isPlainObject(options)) throw new Error(`${at} must be an object of ${OPTION_KEYS.join(', ')}`);
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.includes(key)) {
        throw new Error(`${at}.${key} is not a Sluice option; allowed: ${OPTION_KEYS.join(', ')}`);
      }
    }
    checkInteger(options.maximumRetryAttempts, `${at}.maximumRetryAttempts`, RETRY_RANGE);
    checkInteger(options.maximumRecordAgeInSeconds, `${at}.maximumRecordAgeInSeconds`, RECORD_AGE_RANGE);
    checkBoolean(options.bisectBatchOnFunctionError, `${at}.bisectBatchOnFunctionError`);
    checkBoolean(options.reportBatchItemFailures, `${at}.reportBatchItemFailures`);
    if (options.onFailureTopic !== undefined) {
      const topic = options.onFailureTopic;
      if (typeof topic !== 'string' || !TOPIC_NAME.test(topic)) {
        throw new Error(
          `${at}.onFailureTopic must be a Kafka topic name (letters, digits, ".", "_", "-"), got ${JSON.stringify(topic)}; ` +
            'give the bare name: the plugin writes kafka://<topic>',
        );
      }
    }
    if (options.schemaRegistry !== undefined)
      checkSchemaRegistry(options.schemaRegistry, `${at}.schemaRegistry`);
    result.set(name, options);
  }
  return result;
}

/**
 * Applies validated options to the compiled template: event source mapping properties and the
 * function's SLUICE_REPORT_BATCH_ITEM_FAILURES. Returns the logical ids of the mappings it changed.
 *
 * @param {{ Resources?: Record<string, any> }} template compiled CloudFormation template (mutated)
 * @param {Map<string, Record<string, unknown>>} optionsByFunction from validateSluiceSection
 * @param {{ lambdaLogicalId: (name: string) => string,
 *           declaredEnvironment?: Record<string, Record<string, unknown>> }} service
 *   the provider's naming, and each function's environment as written in serverless.yml
 *   (provider-level merged in), to refuse a hand-set SLUICE_REPORT_BATCH_ITEM_FAILURES
 */
function applyToTemplate(template, optionsByFunction, { lambdaLogicalId, declaredEnvironment = {} }) {
  const resources = template.Resources ?? {};
  for (const [name, environment] of Object.entries(declaredEnvironment)) {
    if (environment?.[REPORT_ENV] !== undefined) {
      throw new Error(
        `${REPORT_ENV} is set by hand for function "${name}": remove it and set ` +
          `custom.sluice.functions.${name}.reportBatchItemFailures instead (the variable must match the ` +
          "trigger's FunctionResponseTypes, or Lambda would take reported failures for success)",
      );
    }
  }
  const changed = [];
  for (const [name, options] of optionsByFunction) {
    const at = `custom.sluice.functions.${name}`;
    const functionId = lambdaLogicalId(name);
    const mappings = Object.entries(resources).filter(
      ([, resource]) =>
        resource?.Type === ESM_TYPE && referencesFunction(resource.Properties?.FunctionName, functionId),
    );
    if (mappings.length === 0) {
      throw new Error(
        `${at}: function "${name}" has no msk or kafka event, so there is no trigger to configure`,
      );
    }
    for (const [logicalId, resource] of mappings) {
      const properties = resource.Properties;
      if (!Array.isArray(properties.Topics)) {
        throw new Error(`${at}: ${logicalId} is not a Kafka event source mapping (it has no Topics)`);
      }
      const wanted = OPTION_KEYS.filter((key) => options[key] !== undefined && options[key] !== false);
      if (wanted.length > 0 && !properties.ProvisionedPollerConfig) {
        throw new Error(
          `${at}: ${wanted.join(', ')} need(s) provisioned mode on the Kafka trigger: add ` +
            'provisionedPollerConfig: { minimumPollers: 1, maximumPollers: <n> } to the msk/kafka event of ' +
            `function "${name}" (Lambda accepts Kafka error handling, Kafka on-failure destinations and schema ` +
            'registries only in provisioned mode)',
        );
      }
      if (options.maximumRetryAttempts !== undefined)
        properties.MaximumRetryAttempts = options.maximumRetryAttempts;
      if (options.maximumRecordAgeInSeconds !== undefined) {
        properties.MaximumRecordAgeInSeconds = options.maximumRecordAgeInSeconds;
      }
      if (options.bisectBatchOnFunctionError !== undefined) {
        properties.BisectBatchOnFunctionError = options.bisectBatchOnFunctionError;
      }
      if (options.reportBatchItemFailures === true)
        properties.FunctionResponseTypes = ['ReportBatchItemFailures'];
      if (options.onFailureTopic !== undefined) {
        if (properties.Topics.includes(options.onFailureTopic)) {
          throw new Error(
            `${at}.onFailureTopic "${options.onFailureTopic}" is the trigger's own topic: Lambda refuses a ` +
              'destination equal to a source topic (it would loop); choose another topic',
          );
        }
        if (properties.DestinationConfig?.OnFailure) {
          throw new Error(
            `${at}.onFailureTopic: trigger ${logicalId} already has an on-failure destination ` +
              '(onFailureDestination on the kafka event): keep one of them',
          );
        }
        properties.DestinationConfig = { OnFailure: { Destination: `kafka://${options.onFailureTopic}` } };
      }
      if (options.schemaRegistry !== undefined) {
        // MSK mappings carry it in AmazonManagedKafkaEventSourceConfig, self-managed ones in
        // SelfManagedKafkaEventSourceConfig (next to ConsumerGroupId).
        const key = properties.SelfManagedEventSource
          ? 'SelfManagedKafkaEventSourceConfig'
          : 'AmazonManagedKafkaEventSourceConfig';
        properties[key] = {
          ...properties[key],
          SchemaRegistryConfig: schemaRegistryConfig(options.schemaRegistry),
        };
      }
      changed.push(logicalId);
    }
    if (options.reportBatchItemFailures === true) {
      const lambda = resources[functionId];
      if (!lambda?.Properties) throw new Error(`${at}: the compiled template has no ${functionId}`);
      lambda.Properties.Environment ??= {};
      lambda.Properties.Environment.Variables ??= {};
      lambda.Properties.Environment.Variables[REPORT_ENV] = 'true';
    }
  }
  return changed;
}

/** `schemaRegistry` as CloudFormation's SchemaRegistryConfig. */
function schemaRegistryConfig(registry) {
  return {
    SchemaRegistryURI: registry.uri,
    EventRecordFormat: registry.eventRecordFormat,
    SchemaValidationConfigs: (registry.validate ?? ['value']).map((part) => ({
      Attribute: part.toUpperCase(),
    })),
    ...(registry.accessConfigs?.length && {
      AccessConfigs: registry.accessConfigs.map((a) => ({ Type: a.type, URI: a.uri })),
    }),
  };
}

/** Same rules as tools/trigger/schema-registry-settings.ts (the emulator's reading of it). */
function checkSchemaRegistry(registry, where) {
  if (!isPlainObject(registry))
    throw new Error(`${where} must be a mapping of ${SCHEMA_REGISTRY_KEYS.join(', ')}`);
  for (const key of Object.keys(registry)) {
    if (!SCHEMA_REGISTRY_KEYS.includes(key)) {
      throw new Error(
        `${where}.${key} is not a schema registry setting; allowed: ${SCHEMA_REGISTRY_KEYS.join(', ')}`,
      );
    }
  }
  const uri = registry.uri;
  if (typeof uri !== 'string' || !(GLUE_REGISTRY_ARN.test(uri) || /^https?:\/\/\S+$/.test(uri))) {
    throw new Error(
      `${where}.uri must be an AWS Glue registry ARN (arn:aws:glue:<region>:<account>:registry/<name>) or a ` +
        `Confluent-compatible registry URL (https://…), got ${JSON.stringify(uri)}`,
    );
  }
  if (registry.eventRecordFormat !== 'JSON' && registry.eventRecordFormat !== 'SOURCE') {
    throw new Error(
      `${where}.eventRecordFormat must be JSON or SOURCE, got ${JSON.stringify(registry.eventRecordFormat)}`,
    );
  }
  const validate = registry.validate ?? ['value'];
  if (
    !Array.isArray(validate) ||
    validate.length === 0 ||
    validate.some((v) => v !== 'key' && v !== 'value') ||
    new Set(validate).size !== validate.length
  ) {
    throw new Error(`${where}.validate must list key and/or value, got ${JSON.stringify(validate)}`);
  }
  const access = registry.accessConfigs ?? [];
  if (!Array.isArray(access) || access.length > 2)
    throw new Error(`${where}.accessConfigs must be a list of at most 2 { type, uri }`);
  access.forEach((a, i) => {
    if (
      !isPlainObject(a) ||
      !SCHEMA_REGISTRY_ACCESS.includes(a.type) ||
      typeof a.uri !== 'string' ||
      !a.uri.startsWith('arn:')
    ) {
      throw new Error(
        `${where}.accessConfigs[${i}] must be { type: ${SCHEMA_REGISTRY_ACCESS.join(' | ')}, uri: <Secrets Manager secret ARN> }`,
      );
    }
  });
}

/** Functions with a Kafka trigger (`msk` or `kafka` event): the Sluice functions. */
function kafkaFunctions(service) {
  return service
    .getAllFunctions()
    .filter((name) => (service.getFunction(name).events ?? []).some((event) => event?.msk || event?.kafka));
}

/**
 * Adds the scheduled flush to each Kafka function (before events compile, so osls turns it into
 * its usual EventBridge rule and invoke permission). Returns the functions it added it to.
 */
function addFlushSchedules(service, section) {
  const expression = section?.flushSchedule ?? DEFAULT_FLUSH_SCHEDULE;
  if (expression === false) return [];
  const names = kafkaFunctions(service);
  for (const name of names) {
    const fn = service.getFunction(name);
    fn.events = [
      ...(fn.events ?? []),
      { schedule: { rate: [expression], enabled: true, input: { sluice: 'flush' } } },
    ];
  }
  return names;
}

/** Sets SLUICE_NAMESPACE on each Kafka function, unless its environment sets it by hand. */
function applyNamespace(template, names, namespace, { lambdaLogicalId, declaredEnvironment = {} }) {
  if (!NAMESPACE.test(namespace)) {
    throw new Error(
      `the namespace "${namespace}" (<service>-<stage>) is not a valid Kafka identity part: set custom.sluice.namespace`,
    );
  }
  for (const name of names) {
    if (declaredEnvironment[name]?.[NAMESPACE_ENV] !== undefined) continue;
    const lambda = template.Resources?.[lambdaLogicalId(name)];
    if (!lambda?.Properties) continue;
    lambda.Properties.Environment ??= {};
    lambda.Properties.Environment.Variables ??= {};
    lambda.Properties.Environment.Variables[NAMESPACE_ENV] = namespace;
  }
}

class ServerlessSluicePlugin {
  constructor(serverless, _options, { log } = {}) {
    this.serverless = serverless;
    this.log = log;
    this.hooks = {
      'before:package:compileEvents': () => this.schedule(),
      'after:package:compileEvents': () => this.apply(),
    };
  }

  schedule() {
    const service = this.serverless.service;
    try {
      validateSluiceSection(service.custom?.sluice, service.getAllFunctions());
      const names = addFlushSchedules(service, service.custom?.sluice);
      this.log?.verbose?.(`Sluice: scheduled outbox flush added to ${names.join(', ') || 'no function'}`);
    } catch (error) {
      throw new this.serverless.classes.Error(`Sluice: ${error.message}`, 'SLUICE_CONFIG');
    }
  }

  apply() {
    const service = this.serverless.service;
    const provider = this.serverless.getProvider('aws');
    const names = service.getAllFunctions();
    try {
      const optionsByFunction = validateSluiceSection(service.custom?.sluice, names);
      const declaredEnvironment = {};
      for (const name of names) {
        declaredEnvironment[name] = {
          ...(service.provider.environment ?? {}),
          ...(service.getFunction(name).environment ?? {}),
        };
      }
      const changed = applyToTemplate(service.provider.compiledCloudFormationTemplate, optionsByFunction, {
        lambdaLogicalId: (name) => provider.naming.getLambdaLogicalId(name),
        declaredEnvironment,
      });
      const namespace = service.custom?.sluice?.namespace ?? `${service.service}-${provider.getStage()}`;
      applyNamespace(service.provider.compiledCloudFormationTemplate, kafkaFunctions(service), namespace, {
        lambdaLogicalId: (name) => provider.naming.getLambdaLogicalId(name),
        declaredEnvironment,
      });
      this.log?.verbose?.(`Sluice: error handling set on ${changed.length} Kafka event source mapping(s)`);
    } catch (error) {
      throw new this.serverless.classes.Error(`Sluice: ${error.message}`, 'SLUICE_CONFIG');
    }
  }
}

/** `Fn::GetAtt: [<id>, Arn]`, or osls's alias form `Fn::Join: [':', [<GetAtt>, alias]]`. */
function referencesFunction(functionName, functionId) {
  return JSON.stringify(functionName ?? null).includes(`"${functionId}"`);
}

function checkInteger(value, where, [min, max]) {
  if (value === undefined) return;
  if (!Number.isInteger(value) || (value !== -1 && (value < min || value > max))) {
    throw new Error(
      `${where} must be -1 (infinite) or an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
}

function checkBoolean(value, where) {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new Error(`${where} must be true or false, got ${JSON.stringify(value)}`);
  }
}

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

module.exports = ServerlessSluicePlugin;
module.exports.validateSluiceSection = validateSluiceSection;
module.exports.applyToTemplate = applyToTemplate;
module.exports.addFlushSchedules = addFlushSchedules;
module.exports.applyNamespace = applyNamespace;
module.exports.OPTION_KEYS = OPTION_KEYS;
