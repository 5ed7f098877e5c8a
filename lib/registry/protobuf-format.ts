import protobuf from 'protobufjs';
// Adds Root.fromDescriptor (for schemas kept as a base64 FileDescriptorProto).
import 'protobufjs/ext/descriptor/index.js';
import { readMessageIndexes, WireFormatError, writeMessageIndexes } from './confluent-wire';
import { readUnsignedVarint, writeUnsignedVarint } from './varint';

/**
 * Protobuf through `protobufjs`: a `.proto` schema (as registries store it) is parsed once; the
 * message type of a record is named by its message indexes, which each registry spells its own
 * way:
 * - Confluent: the path of declaration-order indexes from the file's top-level messages down
 *   through nested ones (`confluent-wire.ts`);
 * - AWS Glue: one unsigned varint, the position of the type among all message types of the file
 *   (nested ones included) sorted by full name (awslabs/aws-glue-schema-registry,
 *   `MessageIndexFinder`).
 * Decoded messages become plain objects as the proto3 JSON mapping has them: 64-bit integers
 * and enums as strings, bytes as Buffers, defaults filled in, field names as in the `.proto`.
 */
export type MessageIndexing = 'confluent' | 'glue';

export interface ProtobufCodec {
  decode(payload: Buffer, indexing: MessageIndexing): unknown;
  /** `messageType`: the full name (`pkg.Order`) or the simple name when unique */
  encode(value: unknown, messageType: string | undefined, indexing: MessageIndexing): Buffer;
}

const TO_OBJECT: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
};

/**
 * Registries keep a Protobuf schema as `.proto` source or, as Confluent's Python and Go clients
 * register it, as a base64 `FileDescriptorProto` (which Confluent converts, and Apicurio keeps
 * as it is): both are read.
 */
function isDescriptor(definition: string): boolean {
  return /^[A-Za-z0-9+/]+=*$/.test(definition.trim());
}

/** A FileDescriptorSet holding one file: field 1, length-delimited. */
function descriptorSet(definition: string): Uint8Array {
  const file = Buffer.from(definition.trim(), 'base64');
  return protobuf.Writer.create().uint32(0x0a).bytes(file).finish();
}

type DescriptorRoot = typeof protobuf.Root & { fromDescriptor(set: Uint8Array): protobuf.Root };

function dependenciesOf(definition: string): string[] {
  const file = (protobuf as unknown as { descriptor: { FileDescriptorProto: protobuf.Type } }).descriptor
    .FileDescriptorProto;
  const decoded = file.toObject(file.decode(Buffer.from(definition.trim(), 'base64'))) as {
    dependency?: string[];
  };
  return decoded.dependency ?? [];
}

/** The schema's own file alone (its types are what message indexes count). */
function ownFile(definition: string): protobuf.Root {
  if (isDescriptor(definition))
    return (protobuf.Root as DescriptorRoot).fromDescriptor(descriptorSet(definition));
  return protobuf.parse(definition, { keepCase: true }).root;
}

/**
 * Parses a Protobuf schema with the files it imports given by import name (a Confluent schema's
 * references); Google's well-known types (`google/protobuf/*.proto`) come with protobufjs.
 */
export function parseProtobufSchema(definition: string, imports: Record<string, string> = {}): protobuf.Root {
  const seen = new Set<string>();
  let root: protobuf.Root;
  const addImport = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const given = imports[name];
    if (given !== undefined) {
      if (isDescriptor(given))
        throw new TypeError(`the imported file "${name}" is a descriptor; only .proto imports are read`);
      load(given);
      return;
    }
    const common = protobuf.common.get(name);
    if (!common) {
      throw new TypeError(
        `the Protobuf schema imports "${name}", which is neither a reference of the schema nor a well-known type`,
      );
    }
    root.addJSON((common as { nested: Record<string, protobuf.AnyNestedObject> }).nested);
  };
  const load = (text: string) => {
    const parsed = protobuf.parse(text, root, { keepCase: true });
    for (const name of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) addImport(name);
  };
  if (isDescriptor(definition)) {
    root = (protobuf.Root as DescriptorRoot).fromDescriptor(descriptorSet(definition));
    for (const name of dependenciesOf(definition)) addImport(name);
  } else {
    root = new protobuf.Root();
    load(definition);
  }
  root.resolveAll();
  return root;
}

export function protobufCodec(definition: string, imports: Record<string, string> = {}): ProtobufCodec {
  // The schema's own file: imported files' types do not count in the indexes.
  const own = ownFile(definition);
  const root = parseProtobufSchema(definition, imports);
  const topLevel = messageTypesOf(lookupNamespace(root, own));
  const sorted = allMessageTypes(topLevel).sort((a, b) =>
    a.fullName < b.fullName ? -1 : a.fullName > b.fullName ? 1 : 0,
  );
  const byIndexes = new Map<string, protobuf.Type>();

  function byConfluentIndexes(indexes: number[]): protobuf.Type {
    const key = indexes.join('.');
    const cached = byIndexes.get(key);
    if (cached) return cached;
    let candidates = topLevel;
    let type: protobuf.Type | undefined;
    for (const index of indexes) {
      type = candidates[index];
      if (type === undefined)
        throw new WireFormatError(`message indexes [${indexes}] name no message type of the schema`);
      candidates = messageTypesOf(type);
    }
    if (type === undefined) throw new WireFormatError('empty message indexes');
    byIndexes.set(key, type);
    return type;
  }

  function confluentIndexesOf(type: protobuf.Type): number[] {
    const path: number[] = [];
    let current: protobuf.ReflectionObject | null = type;
    while (current instanceof protobuf.Type) {
      const parent: protobuf.Namespace | null = current.parent;
      const siblings = parent instanceof protobuf.Type ? messageTypesOf(parent) : topLevel;
      path.unshift(siblings.indexOf(current));
      current = parent instanceof protobuf.Type ? parent : null;
    }
    return path;
  }

  function typeNamed(name: string | undefined): protobuf.Type {
    if (name === undefined) {
      const first = topLevel[0];
      if (!first) throw new TypeError('the Protobuf schema declares no message type');
      return first;
    }
    const exact = sorted.find((t) => t.fullName === `.${name}` || t.fullName === name);
    if (exact) return exact;
    const simple = sorted.filter((t) => t.name === name);
    if (simple.length === 1) return simple[0]!;
    throw new TypeError(
      `message type "${name}" is ${simple.length ? 'ambiguous' : 'not declared'} in the Protobuf schema; ` +
        `declared: ${sorted.map((t) => t.fullName.slice(1)).join(', ')}`,
    );
  }

  return {
    decode(payload, indexing) {
      let type: protobuf.Type;
      let message: Buffer;
      if (indexing === 'confluent') {
        const read = readMessageIndexes(payload);
        type = byConfluentIndexes(read.indexes);
        message = read.message;
      } else {
        let read: { value: number; next: number };
        try {
          read = readUnsignedVarint(payload, 0);
        } catch (error) {
          throw new WireFormatError(`bad AWS Glue Protobuf message index: ${(error as Error).message}`);
        }
        const found = sorted[read.value];
        if (!found)
          throw new WireFormatError(
            `AWS Glue message index ${read.value} names no message type of the schema`,
          );
        type = found;
        message = payload.subarray(read.next);
      }
      return type.toObject(type.decode(message), TO_OBJECT);
    },
    encode(value, messageType, indexing) {
      const type = typeNamed(messageType);
      // fromObject takes what decode gives (64-bit integers and enums as strings); verify then
      // checks what it made, so a value of the wrong shape is refused, not coerced to defaults.
      let message: protobuf.Message;
      try {
        message = type.fromObject(value as Record<string, unknown>);
      } catch (error) {
        throw new TypeError(
          `the value is not a valid ${type.fullName.slice(1)}: ${(error as Error).message}`,
        );
      }
      const problem = type.verify(message);
      if (problem) throw new TypeError(`the value is not a valid ${type.fullName.slice(1)}: ${problem}`);
      const body = type.encode(message).finish();
      let prefix: Buffer;
      if (indexing === 'confluent') prefix = writeMessageIndexes(confluentIndexesOf(type));
      else {
        const out: number[] = [];
        writeUnsignedVarint(sorted.indexOf(type), out);
        prefix = Buffer.from(out);
      }
      return Buffer.concat([prefix, body]);
    },
  };
}

function messageTypesOf(namespace: protobuf.NamespaceBase): protobuf.Type[] {
  return namespace.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type);
}

function allMessageTypes(topLevel: protobuf.Type[]): protobuf.Type[] {
  const out: protobuf.Type[] = [];
  const queue = [...topLevel];
  for (let type = queue.shift(); type; type = queue.shift()) {
    out.push(type);
    queue.push(...messageTypesOf(type));
  }
  return out;
}

/** The namespace of the schema's package within the full root (the root when no package). */
function lookupNamespace(root: protobuf.Root, own: protobuf.Root): protobuf.NamespaceBase {
  let ns: protobuf.NamespaceBase = own;
  const path: string[] = [];
  // Walk down single-child namespaces that are packages (not types) to find the package.
  while (
    ns.nestedArray.length === 1 &&
    !(ns.nestedArray[0] instanceof protobuf.Type) &&
    ns.nestedArray[0] instanceof protobuf.Namespace
  ) {
    const child = ns.nestedArray[0] as protobuf.Namespace;
    path.push(child.name);
    ns = child;
  }
  if (path.length === 0) return root;
  const found = root.lookup(path.join('.'));
  if (!(found instanceof protobuf.Namespace)) throw new TypeError(`package ${path.join('.')} not found`);
  return found;
}
