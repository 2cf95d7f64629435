// The one place that maps offsets ↔ LSP-style positions (0-based line, UTF-16 character).

export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}

/** Precomputed line starts of a text; lines end at \n (a preceding \r belongs to the line ending). */
export class LineIndex {
  private readonly starts: number[];
  constructor(readonly text: string) {
    const starts = [0];
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    this.starts = starts;
  }

  get lineCount(): number {
    return this.starts.length;
  }

  positionAt(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - this.starts[lo] };
  }

  offsetAt(pos: Position): number {
    if (pos.line < 0) return 0;
    if (pos.line >= this.starts.length) return this.text.length;
    const start = this.starts[pos.line];
    const next = pos.line + 1 < this.starts.length ? this.starts[pos.line + 1] : this.text.length;
    return Math.min(start + Math.max(0, pos.character), next);
  }

  rangeOf(r: { start: number; end: number }): Range {
    return { start: this.positionAt(r.start), end: this.positionAt(r.end) };
  }

  /** Offset of the start of the line holding `offset`. */
  lineStartOf(offset: number): number {
    return this.starts[this.positionAt(offset).line];
  }

  /** Offset just past the last non-newline character of the line holding `offset`. */
  lineEndOf(offset: number): number {
    const line = this.positionAt(offset).line;
    let end = line + 1 < this.starts.length ? this.starts[line + 1] - 1 : this.text.length;
    if (end > 0 && this.text[end - 1] === '\r' && end - 1 >= this.starts[line]) end -= 1;
    return end;
  }
}
