// Types for the two pure-JS codec packages that ship none (see codecs.ts).

declare module 'snappyjs' {
  export function compress(data: Uint8Array): Uint8Array;
  export function uncompress(data: Uint8Array, maxLength?: number): Uint8Array;
}

declare module 'lz4js' {
  /** Decodes one LZ4 block of `src[sIndex, sIndex + sLength)` into `dst` at `dIndex`; returns the new end of `dst`. */
  export function decompressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    dIndex: number,
  ): number;
}
