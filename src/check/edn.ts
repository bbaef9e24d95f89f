/**
 * A reader for the part of EDN (Clojure's data notation) that Jepsen histories use: maps, vectors,
 * lists, sets, keywords, symbols, strings, characters, integers, floats, nil and booleans, with
 * comments, `#_` discards and tagged literals (`#jepsen.history.Op{…}` reads as the map inside).
 */

export class EdnKeyword {
  constructor(readonly name: string) {}
  toString(): string {
    return `:${this.name}`;
  }
}

export class EdnSymbol {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name;
  }
}

export class EdnMap {
  constructor(readonly entries: readonly (readonly [EdnValue, EdnValue])[]) {}

  /** The value under the keyword `:name`, or undefined. */
  get(name: string): EdnValue | undefined {
    for (const [key, value] of this.entries)
      if (key instanceof EdnKeyword && key.name === name) return value;
    return undefined;
  }

  has(name: string): boolean {
    return this.entries.some(([key]) => key instanceof EdnKeyword && key.name === name);
  }
}

export type EdnValue =
  null | boolean | number | string | EdnKeyword | EdnSymbol | EdnMap | readonly EdnValue[];

export class EdnSyntaxError extends Error {
  override readonly name = 'EdnSyntaxError';
  constructor(
    message: string,
    /** Offset in the text where the problem is. */
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Nesting deeper than this is refused rather than overflowing the stack. */
const DEPTH_MAX = 500;

const DELIMITERS = new Set(['(', ')', '[', ']', '{', '}', '"', ';']);

function isWhitespace(char: string): boolean {
  return char === ' ' || char === ',' || char === '\t' || char === '\n' || char === '\r';
}

class EdnReader {
  private offset: number;

  constructor(
    private readonly text: string,
    start: number,
  ) {
    this.offset = start;
  }

  get position(): number {
    return this.offset;
  }

  /** Skips whitespace, commas and comments; true if a form follows. */
  skipBlank(): boolean {
    const text = this.text;
    while (this.offset < text.length) {
      const char = text[this.offset] as string;
      if (isWhitespace(char)) this.offset++;
      else if (char === ';') {
        while (this.offset < text.length && text[this.offset] !== '\n') this.offset++;
      } else return true;
    }
    return false;
  }

  readForm(depth: number): EdnValue {
    if (depth > DEPTH_MAX) throw new EdnSyntaxError('nested too deeply', this.offset);
    if (!this.skipBlank()) throw new EdnSyntaxError('unexpected end of input', this.offset);
    const char = this.text[this.offset] as string;
    switch (char) {
      case '{':
        return this.readMap(depth);
      case '[':
        return this.readSequence(']', depth);
      case '(':
        return this.readSequence(')', depth);
      case '"':
        return this.readString();
      case '#':
        return this.readDispatch(depth);
      case '\\':
        return this.readCharacter();
      case ')':
      case ']':
      case '}':
        throw new EdnSyntaxError(`unexpected "${char}"`, this.offset);
      default:
        return this.readAtom();
    }
  }

  private readSequence(close: string, depth: number): EdnValue[] {
    const open = this.offset++;
    const items: EdnValue[] = [];
    for (;;) {
      if (!this.skipBlank()) throw new EdnSyntaxError(`"${close}" missing`, open);
      if (this.text[this.offset] === close) {
        this.offset++;
        return items;
      }
      items.push(this.readForm(depth + 1));
    }
  }

  private readMap(depth: number): EdnMap {
    const open = this.offset;
    const items = this.readSequence('}', depth);
    if (items.length % 2 !== 0)
      throw new EdnSyntaxError('a map needs an even number of forms', open);
    const entries: [EdnValue, EdnValue][] = [];
    for (let index = 0; index < items.length; index += 2)
      entries.push([items[index] as EdnValue, items[index + 1] as EdnValue]);
    return new EdnMap(entries);
  }

  private readDispatch(depth: number): EdnValue {
    const start = this.offset;
    const next = this.text[this.offset + 1];
    if (next === '{') {
      this.offset++;
      return this.readSequence('}', depth);
    }
    if (next === '_') {
      this.offset += 2;
      this.readForm(depth + 1);
      return this.readForm(depth);
    }
    // A tagged literal: the tag says how to interpret the next form; we keep the form itself.
    this.offset++;
    const tag = this.readToken();
    if (tag === '' || !/^[A-Za-z]/.test(tag))
      throw new EdnSyntaxError(`unsupported dispatch "#${tag}"`, start);
    return this.readForm(depth + 1);
  }

  private readString(): string {
    const start = this.offset++;
    const text = this.text;
    let result = '';
    let chunkStart = this.offset;
    while (this.offset < text.length) {
      const char = text[this.offset];
      if (char === '"') {
        result += text.slice(chunkStart, this.offset);
        this.offset++;
        return result;
      }
      if (char === '\\') {
        result += text.slice(chunkStart, this.offset);
        result += this.readEscape();
        chunkStart = this.offset;
      } else this.offset++;
    }
    throw new EdnSyntaxError('unterminated string', start);
  }

  private readEscape(): string {
    const escape = this.text[this.offset + 1];
    this.offset += 2;
    switch (escape) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case '"':
        return '"';
      case '\\':
        return '\\';
      case 'u': {
        const hex = this.text.slice(this.offset, this.offset + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex))
          throw new EdnSyntaxError('bad \\u escape in string', this.offset - 2);
        this.offset += 4;
        return String.fromCharCode(parseInt(hex, 16));
      }
      default:
        throw new EdnSyntaxError(`unknown escape "\\${escape ?? ''}" in string`, this.offset - 2);
    }
  }

  private readCharacter(): string {
    const start = this.offset++;
    const token = this.readToken();
    const named: Record<string, string> = {
      newline: '\n',
      space: ' ',
      tab: '\t',
      return: '\r',
    };
    if (token.length === 1) return token;
    if (token === '' && this.offset < this.text.length) return this.text[this.offset++] as string;
    const value = named[token];
    if (value === undefined) throw new EdnSyntaxError(`unknown character "\\${token}"`, start);
    return value;
  }

  private readToken(): string {
    const start = this.offset;
    const text = this.text;
    while (this.offset < text.length) {
      const char = text[this.offset] as string;
      if (isWhitespace(char) || DELIMITERS.has(char)) break;
      this.offset++;
    }
    return text.slice(start, this.offset);
  }

  private readAtom(): EdnValue {
    const start = this.offset;
    const token = this.readToken();
    if (token === 'nil') return null;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token.startsWith(':')) {
      if (token.length === 1) throw new EdnSyntaxError('empty keyword', start);
      return new EdnKeyword(token.slice(1));
    }
    if (/^[+-]?\d/.test(token)) return parseNumber(token, start);
    return new EdnSymbol(token);
  }
}

function parseNumber(token: string, offset: number): number {
  const integer = /^([+-]?\d+)N?$/.exec(token);
  if (integer) {
    const value = Number(integer[1]);
    if (!Number.isSafeInteger(value))
      throw new EdnSyntaxError(`integer ${token} is too large`, offset);
    return value;
  }
  if (/^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?M?$/.test(token)) return Number(token.replace(/M$/, ''));
  throw new EdnSyntaxError(`bad number "${token}"`, offset);
}

/** Reads one form starting at `start`; `end` is where the text after it begins. */
export function readEdn(text: string, start = 0): { value: EdnValue; end: number } {
  const reader = new EdnReader(text, start);
  const value = reader.readForm(0);
  return { value, end: reader.position };
}

/** Reads every form in the text, each with the offset where it starts. */
export function readAllEdn(text: string): { value: EdnValue; start: number }[] {
  const reader = new EdnReader(text, 0);
  const forms: { value: EdnValue; start: number }[] = [];
  while (reader.skipBlank()) {
    const start = reader.position;
    forms.push({ value: reader.readForm(0), start });
  }
  return forms;
}

/**
 * The value as plain JSON data: keywords and symbols become their names, maps become objects keyed
 * by their keys' names, lists, vectors and sets become arrays.
 */
export function ednToJson(value: EdnValue): unknown {
  if (value instanceof EdnKeyword || value instanceof EdnSymbol) return value.name;
  if (value instanceof EdnMap) {
    const object: Record<string, unknown> = {};
    for (const [key, item] of value.entries) object[mapKeyName(key)] = ednToJson(item);
    return object;
  }
  if (Array.isArray(value)) return value.map(ednToJson);
  return value;
}

function mapKeyName(key: EdnValue): string {
  if (key instanceof EdnKeyword || key instanceof EdnSymbol) return key.name;
  if (typeof key === 'string') return key;
  return JSON.stringify(ednToJson(key));
}
