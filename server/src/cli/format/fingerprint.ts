// One fingerprint per finding, shared by every report format that needs one (SARIF's partialFingerprints, GitLab
// Code Quality's fingerprint): stable across runs and across unrelated edits — rule + file + the reference text +
// which occurrence of that text in the file it is, never the line number — and the same in a gated
// (--changed-since) and a full scan.
import { createHash } from 'node:crypto';

/**
 * Which occurrence of `text` in the file this finding is, counted in the file text rather than among the reported
 * findings: the count then stays the same when `--changed-since` leaves earlier findings out (or a suppression
 * comment silences one), so a finding keeps its fingerprint between full and gated scans.
 */
class Occurrences {
  private readonly positions = new Map<string, number[]>();
  private readonly used = new Set<string>();

  of(path: string, fileText: string, text: string, offset: number, key: string): number {
    let occurrence = 1;
    if (text) {
      const cacheKey = `${path}\0${text}`;
      let at = this.positions.get(cacheKey);
      if (!at) {
        at = [];
        for (let i = fileText.indexOf(text); i !== -1; i = fileText.indexOf(text, i + 1)) at.push(i);
        this.positions.set(cacheKey, at);
      }
      occurrence += at.filter((p) => p < offset).length;
    }
    // Two findings of one rule at one place (or empty ranges) still get distinct fingerprints.
    while (this.used.has(`${key}\0${occurrence}`)) occurrence++;
    this.used.add(`${key}\0${occurrence}`);
    return occurrence;
  }
}

/** Fingerprints for the findings of one report: create one per report, ask in document order. */
export class Fingerprints {
  private readonly occurrences = new Occurrences();

  /** 32 hex digits for the finding `code` at `[start, end)` of `fileText` in `path`. */
  of(path: string, fileText: string, code: string, start: number, end: number): string {
    const text = fileText.slice(start, end);
    const key = `${code}\0${path}\0${text}`;
    const occurrence = this.occurrences.of(path, fileText, text, start, key);
    return createHash('sha256').update(`${key}\0${occurrence}`).digest('hex').slice(0, 32);
  }
}
