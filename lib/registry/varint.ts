/**
 * Base-128 varints as Protocol Buffers writes them
 * (https://protobuf.dev/programming-guides/encoding/#varints), unsigned and zig-zag. The
 * registries' wire formats use them for Protobuf message indexes.
 */

/** Reads an unsigned varint of at most 32 bits at `offset`; throws on a truncated or overlong one. */
export function readUnsignedVarint(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const byte = bytes[offset + i];
    if (byte === undefined) throw new RangeError(`truncated varint at byte ${offset}`);
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (value > 0xffffffff) break;
      return { value, next: offset + i + 1 };
    }
  }
  throw new RangeError(`varint at byte ${offset} is longer than 32 bits`);
}

/** Zig-zag (sint32): 0, -1, 1, -2 … are 0, 1, 2, 3 … */
export function readZigZagVarint(bytes: Uint8Array, offset: number): { value: number; next: number } {
  const { value, next } = readUnsignedVarint(bytes, offset);
  return { value: value % 2 === 0 ? value / 2 : -(value + 1) / 2, next };
}

export function writeUnsignedVarint(value: number, out: number[]): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${value} is not an unsigned 32-bit integer`);
  }
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

export function writeZigZagVarint(value: number, out: number[]): void {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
    throw new RangeError(`${value} is not a signed 32-bit integer`);
  }
  writeUnsignedVarint(value >= 0 ? value * 2 : -value * 2 - 1, out);
}
