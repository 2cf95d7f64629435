// Helpers shared by the YAML extractor tests: fixture loading, the range invariant, compact views of results.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RawRef } from '../../server/src/core/types';

export function yamlFixture(name: string): string {
  return readFileSync(path.resolve(process.cwd(), 'test/fixtures/extract/yaml', name), 'utf8');
}

/** Every reference's range must select exactly its `text`, and an inline pin must cover the same text. */
export function assertRangesHold(text: string, refs: RawRef[]): void {
  for (const ref of refs) {
    assert.equal(text.slice(ref.range.start, ref.range.end), ref.text, `range of ${ref.reference}`);
    if (ref.pin?.type === 'inline') assert.deepEqual(ref.pin.range, ref.range);
    if (ref.pin?.type === 'mapping-key' && ref.pin.digestRange) {
      assert.ok(ref.pin.digestRange.start <= ref.pin.digestRange.end && ref.pin.digestRange.end <= text.length);
    }
  }
}

/** `[text, reference]` pairs, in document order. */
export function textAndReference(refs: RawRef[]): [string, string][] {
  return refs.map((r) => [r.text, r.reference]);
}

/** The same YAML with CRLF line ends and a leading BOM, for offset tests. */
export function withBomAndCrlf(text: string): string {
  return '\uFEFF' + text.replace(/\r?\n/g, '\r\n');
}
