/** The 1-based line that contains `offset`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let index = 0; index < end; index++) if (text.charCodeAt(index) === 10) line++;
  return line;
}

/** Maps offsets to lines quickly when many lookups go forward through the same text. */
export class LineCounter {
  private offset = 0;
  private line = 1;

  constructor(private readonly text: string) {}

  lineAt(offset: number): number {
    if (offset < this.offset) {
      this.offset = 0;
      this.line = 1;
    }
    for (; this.offset < offset && this.offset < this.text.length; this.offset++)
      if (this.text.charCodeAt(this.offset) === 10) this.line++;
    return this.line;
  }
}
