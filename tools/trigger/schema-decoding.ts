/**
 * The emulator's twin of Lambda's schema-registry integration: before a batch is invoked, each
 * configured part (key, value) of each record is read from its registry frame, its schema looked
 * up (once per process) and the bytes decoded with it. A record that decodes is handed to the
 * function as Lambda hands it: `EventRecordFormat` JSON gives the decoded value as JSON text,
 * SOURCE the bytes without the registry's header (Protobuf keeps its message indexes), and both
 * add `keySchemaMetadata` / `valueSchemaMetadata` ({ dataFormat, schemaId }). A record that does
 * not is never invoked: it goes to the on-failure destination with Lambda's reason,
 * SCHEMA_NOT_FOUND or DESERIALIZATION_ERROR (without a destination, Lambda discards it).
 * A registry that does not answer holds the batch and is asked again with backoff.
 */
import { SchemaRegistryUnavailableError } from '../../lib/core/errors';
import type { Logger } from '../../lib/core/log';
import type { RawRecord, SchemaMetadata } from '../../lib/event/types';
import { confluentRegistry } from '../../lib/registry/confluent-registry';
import { decodeConfluentFrame, WireFormatError } from '../../lib/registry/confluent-wire';
import { buildCodec, type FormatCodec } from '../../lib/registry/format-codec';
import { glueRegistry } from '../../lib/registry/glue-registry';
import { decodeGlueFrame } from '../../lib/registry/glue-wire';
import type { DataFormat, SchemaRegistry } from '../../lib/registry/registry';
import { cachedRegistry } from '../../lib/registry/registry-cache';
import { SchemaFailure, type SchemaFailureReason } from '../../lib/registry/schema-failure';
import type { Clock } from './clock';
import { type EventRecord, toEventRecord } from './payload-size';
import { GLUE_REGISTRY_ARN, type SchemaRegistrySettings } from './schema-registry-settings';

export interface SchemaDecodeResult {
  entries: EventRecord[];
  failed: Array<{ record: RawRecord; reason: SchemaFailureReason; message: string }>;
}

export interface SchemaDecoder {
  /** null when the worker stopped while the registry was down */
  decode(entries: EventRecord[], signal: AbortSignal): Promise<SchemaDecodeResult | null>;
}

export interface SchemaDecoderDeps {
  log: Logger;
  clock: Clock;
  backoffMs(attempt: number): number;
  /** tests inject one; default from the settings' uri */
  registry?: SchemaRegistry;
}

/** The registry a SchemaRegistryURI names: a Glue registry ARN, or a Confluent-compatible URL. */
export function registryFor(settings: SchemaRegistrySettings): SchemaRegistry {
  const glue = GLUE_REGISTRY_ARN.exec(settings.uri);
  if (glue) return glueRegistry({ region: glue[1], registryName: glue[2] });
  const basic = settings.accessConfigs.find((a) => a.type === 'BASIC_AUTH');
  return confluentRegistry({ url: settings.uri, ...(basic && { auth: { secretArn: basic.uri } }) });
}

interface Decoded {
  bytes: Buffer;
  metadata: SchemaMetadata;
}

export function createSchemaDecoder(
  settings: SchemaRegistrySettings,
  deps: SchemaDecoderDeps,
): SchemaDecoder {
  const registry = cachedRegistry(deps.registry ?? registryFor(settings));
  const codecs = new Map<string, Promise<{ format: DataFormat; codec: FormatCodec }>>();

  function codecOf(id: string) {
    let pending = codecs.get(id);
    if (!pending) {
      pending = (async () => {
        const schema = await registry.fetchSchema(id);
        try {
          return { format: schema.format, codec: await buildCodec(schema) };
        } catch (error) {
          throw new SchemaFailure(
            'DESERIALIZATION_ERROR',
            id,
            `schema ${id} does not parse: ${(error as Error).message}`,
          );
        }
      })();
      pending.catch(() => codecs.delete(id));
      codecs.set(id, pending);
    }
    return pending;
  }

  async function decodePart(bytes: Buffer): Promise<Decoded> {
    let id: string;
    let payload: Buffer;
    try {
      if (registry.kind === 'confluent') {
        const frame = decodeConfluentFrame(bytes);
        id = String(frame.schemaId);
        payload = frame.payload;
      } else {
        const frame = decodeGlueFrame(bytes);
        id = frame.schemaVersionId;
        payload = frame.payload;
      }
    } catch (error) {
      if (error instanceof WireFormatError)
        throw new SchemaFailure('DESERIALIZATION_ERROR', undefined, error.message);
      throw error;
    }
    const { format, codec } = await codecOf(id);
    let value: unknown;
    try {
      value = codec.decode(payload, registry.kind);
    } catch (error) {
      throw new SchemaFailure(
        'DESERIALIZATION_ERROR',
        id,
        `does not decode with schema ${id}: ${(error as Error).message}`,
      );
    }
    return {
      bytes: settings.eventRecordFormat === 'JSON' ? Buffer.from(toJson(value), 'utf8') : payload,
      metadata: { dataFormat: format, schemaId: id },
    };
  }

  async function decodeRecord(record: RawRecord): Promise<RawRecord> {
    const out: RawRecord = { ...record };
    for (const part of settings.validate) {
      const bytes = record[part];
      if (bytes === null) continue;
      const decoded = await decodePart(bytes);
      out[part] = decoded.bytes;
      if (part === 'key') out.keySchemaMetadata = decoded.metadata;
      else out.valueSchemaMetadata = decoded.metadata;
    }
    return out;
  }

  return {
    async decode(entries, signal) {
      for (let attempt = 1; ; attempt++) {
        try {
          const result: SchemaDecodeResult = { entries: [], failed: [] };
          for (const entry of entries) {
            try {
              result.entries.push(toEventRecord(await decodeRecord(entry.record)));
            } catch (error) {
              if (!(error instanceof SchemaFailure)) throw error;
              result.failed.push({ record: entry.record, reason: error.reason, message: error.message });
            }
          }
          return result;
        } catch (error) {
          if (!(error instanceof SchemaRegistryUnavailableError)) throw error;
          const wait = deps.backoffMs(attempt);
          deps.log.warn(`schema registry unavailable; the batch waits ${wait} ms`, { error: error.message });
          await deps.clock.sleep(wait, signal).catch(() => {});
          if (signal.aborted) return null;
        }
      }
    },
  };
}

/** JSON of a decoded value: bytes as base64 (as Avro's and Protobuf's JSON mappings write them). */
function toJson(value: unknown): string {
  return JSON.stringify(value, function (this: unknown, key, v: unknown) {
    const raw = (this as Record<string, unknown>)[key];
    if (Buffer.isBuffer(raw)) return raw.toString('base64');
    if (typeof v === 'bigint') return v.toString();
    return v;
  });
}
