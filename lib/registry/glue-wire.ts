import { deflateSync, inflateSync } from 'node:zlib';
import { WireFormatError } from './confluent-wire';

/**
 * AWS Glue Schema Registry's wire format (awslabs/aws-glue-schema-registry,
 * `AWSSchemaRegistryConstants` and the serialization facade): byte 0 is the header version 3,
 * byte 1 the compression (0 none, 5 zlib), bytes 2-17 the schema version id (a UUID, most
 * significant byte first), then the payload, zlib-deflated when byte 1 is 5. A Protobuf payload
 * starts with the message index as an unsigned varint (see `glueMessageIndex`).
 */
export const GLUE_HEADER_VERSION = 3;
export const GLUE_COMPRESSION_NONE = 0;
export const GLUE_COMPRESSION_ZLIB = 5;
export const GLUE_HEADER_BYTES = 18;

export type GlueCompression = 'none' | 'zlib';

export interface GlueFrame {
  /** lower-case UUID text, as Glue's API spells a SchemaVersionId */
  schemaVersionId: string;
  compression: GlueCompression;
  /** the payload, inflated when it was compressed */
  payload: Buffer;
}

export function isGlueFramed(bytes: Buffer): boolean {
  return bytes.length >= GLUE_HEADER_BYTES && bytes[0] === GLUE_HEADER_VERSION;
}

export function decodeGlueFrame(bytes: Buffer): GlueFrame {
  if (bytes.length < GLUE_HEADER_BYTES) {
    throw new WireFormatError(
      `${bytes.length} bytes is too short for AWS Glue framing (version, compression, 16-byte schema version id)`,
    );
  }
  if (bytes[0] !== GLUE_HEADER_VERSION) {
    throw new WireFormatError(
      `first byte is ${bytes[0]}, not the AWS Glue header version 3: the record was not written by a Glue serializer` +
        (bytes[0] === 0 ? ' (0 is the Confluent magic byte: use a Confluent registry)' : ''),
    );
  }
  const compressionByte = bytes[1];
  if (compressionByte !== GLUE_COMPRESSION_NONE && compressionByte !== GLUE_COMPRESSION_ZLIB) {
    throw new WireFormatError(`unknown AWS Glue compression byte ${compressionByte} (0 = none, 5 = zlib)`);
  }
  const schemaVersionId = uuidFromBytes(bytes.subarray(2, GLUE_HEADER_BYTES));
  const body = bytes.subarray(GLUE_HEADER_BYTES);
  if (compressionByte === GLUE_COMPRESSION_NONE) {
    return { schemaVersionId, compression: 'none', payload: body };
  }
  let payload: Buffer;
  try {
    payload = inflateSync(body);
  } catch (error) {
    throw new WireFormatError(
      `the zlib-compressed AWS Glue payload does not inflate: ${(error as Error).message}`,
    );
  }
  return { schemaVersionId, compression: 'zlib', payload };
}

export function encodeGlueFrame(
  schemaVersionId: string,
  payload: Uint8Array,
  compression: GlueCompression = 'none',
): Buffer {
  const body = compression === 'zlib' ? deflateSync(payload) : payload;
  const out = Buffer.allocUnsafe(GLUE_HEADER_BYTES + body.length);
  out[0] = GLUE_HEADER_VERSION;
  out[1] = compression === 'zlib' ? GLUE_COMPRESSION_ZLIB : GLUE_COMPRESSION_NONE;
  uuidToBytes(schemaVersionId).copy(out, 2);
  out.set(body, GLUE_HEADER_BYTES);
  return out;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID.test(text);
}

export function uuidFromBytes(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function uuidToBytes(uuid: string): Buffer {
  if (!isUuid(uuid)) throw new RangeError(`"${uuid}" is not a UUID (an AWS Glue schema version id)`);
  return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}
