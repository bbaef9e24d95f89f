/** The part of hpack.js (no published types) that authority-rewrite.ts uses. */
declare module 'hpack.js' {
  interface HeaderField {
    readonly name: string;
    readonly value: string;
    /** A literal that never enters the dynamic table (RFC 7541 §6.2.3). */
    readonly neverIndex?: boolean;
    readonly huffman?: boolean;
  }
  interface Decompressor {
    write(data: Buffer): void;
    /** Decodes what was written; throws on a malformed block. */
    execute(): void;
    read(): HeaderField | null;
  }
  interface Compressor {
    write(headers: readonly HeaderField[]): void;
    read(): Buffer | null;
  }
  const hpack: {
    readonly decompressor: { create(options: { table: { size: number } }): Decompressor };
    readonly compressor: { create(options: { table: { size: number } }): Compressor };
  };
  export default hpack;
}
