import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extractDockerfile } from '../../server/src/core/extract/dockerfile';

const CORPUS = path.resolve(process.cwd(), '../shared/corpus/dockerfile');

// Observed: 136 files, 187 references (181 FROM uses after merging shared ARG defaults, 3 `COPY --from=<image>`,
// 3 `# syntax=` directives). Checked by hand against the sources: every `--from`/`from=` in the corpus (all stage
// names or numeric indexes except the 3 golang images), every FROM that is not reported (30 earlier-stage names or
// `scratch`, 3 `${BASE_DISTRIBUTION:-debug}` resolving to a stage in istio), the ARG-default sites (nginx modules,
// istio agentgateway) and the templated ones (jaeger `$base_image`, temporal `${BASEIMAGE}` declared without a
// default). The bound is ~90% of the observed count so that small, justified changes do not break the test.
const MIN_REFERENCES = 168;

function corpusFiles(): string[] {
  return fs
    .readdirSync(CORPUS, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

describe('Dockerfile corpus', { skip: fs.existsSync(CORPUS) ? false : `corpus not found at ${CORPUS}` }, () => {
  it('extracts every file without throwing, with exact ranges, and finds the expected references', () => {
    let total = 0;
    for (const file of corpusFiles()) {
      const text = fs.readFileSync(file, 'utf8');
      const refs = extractDockerfile(text);
      for (const ref of refs) {
        const where = `${path.relative(CORPUS, file)} @${ref.range.start}`;
        assert.equal(text.slice(ref.range.start, ref.range.end), ref.text, where);
        assert.ok(ref.reference.length > 0 && !/\s/.test(ref.reference), `${where}: reference ${JSON.stringify(ref.reference)}`);
      }
      total += refs.length;
    }
    assert.ok(total >= MIN_REFERENCES, `found ${total} references, expected at least ${MIN_REFERENCES}`);
  });
});
