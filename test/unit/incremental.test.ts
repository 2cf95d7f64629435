// Incremental extraction must give exactly what a full extraction gives, after any edit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { extractWithProblems } from '../../server/src/core/analyze-extract';
import { documentStarts, IncrementalExtractor } from '../../server/src/core/incremental';

const DOC = (i: number) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}}\nspec:\n  containers:\n    - name: a\n      image: "nginx:1.${i}" # c\n    - {name: b, image: busybox}\n`;
const BASE = Array.from({ length: 6 }, (_, i) => DOC(i)).join('---\n') + '...\n--- |\n  --- not a marker: indented\n';

test('document markers are found only at line starts followed by space or line end', () => {
  assert.deepEqual(documentStarts('a: 1\n---\nb: 2\n--- x\n---x: 3\n...\n'), [0, 5, 14, 28]);
  assert.equal(documentStarts('%YAML 1.2\n---\na: 1\n'), null, 'directives disable cutting');
});

test('incremental equals full extraction across random edits', () => {
  const ex = new IncrementalExtractor();
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(8), fc.constantFrom('x', '1', '\n', '---\n', ':', '"', ' ', '@sha256:' + 'a'.repeat(64))), { maxLength: 6 }), (edits) => {
      let text = BASE;
      for (const [pos, del, ins] of edits) {
        const at = pos % (text.length + 1);
        text = text.slice(0, at) + ins + text.slice(at + del);
        const full = extractWithProblems(text, 'kubernetes');
        const inc = ex.extract(text, 'kubernetes');
        assert.deepEqual(inc.refs, full.refs);
        // Error positions may differ by a few characters (where the scanner gave up), never whether there is one.
        assert.equal(inc.errors.length > 0, full.errors.length > 0);
      }
    }),
    { numRuns: 150, seed: 42 },
  );
});
