// `--format markdown`: the review comment's shape, and escaping of repository-controlled text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codeSpan, escapeMarkdown, formatMarkdown } from '../../server/src/cli/format/markdown';
import { reportFile } from '../../server/src/core/report';

const pod = (images: string[]) =>
  `apiVersion: v1\nkind: Pod\nspec:\n  containers:\n${images.map((image, i) => `    - name: c${i}\n      image: ${image}\n`).join('')}`;

/** Cell separators of a table row: `|` not preceded by a backslash. */
const cells = (row: string) => row.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());

test('plain text cannot open HTML, links, emphasis or code, nor split a table cell', () => {
  const escaped = escapeMarkdown('a|b <img src=x onerror=y> *bold* [link](http://x) `code` _u_\nnext');
  assert.equal(escaped, 'a\\|b \\<img src=x onerror=y\\> \\*bold\\* \\[link\\]\\(http://x\\) \\`code\\` \\_u\\_ next');
});

test('code spans show backticks literally with a longer fence, and escape `|` only inside tables', () => {
  assert.equal(codeSpan('nginx:1.25', true), '`nginx:1.25`');
  assert.equal(codeSpan('a`b', false), '``a`b``');
  assert.equal(codeSpan('`x``', false), '``` `x`` ```');
  assert.equal(codeSpan('a|b', true), '`a\\|b`');
  assert.equal(codeSpan('a|b', false), '`a|b`');
  assert.equal(codeSpan('two\nlines', false), '`two lines`');
});

test('a reference holding `|` and backticks stays in its own cell', () => {
  const text = pod(['"Bad|ref`x"', 'nginx:1.25', 'redis']);
  const report = { files: [reportFile('k8s/pod|x.yaml', '/r/k8s/pod|x.yaml', text, 'kubernetes')], notices: [] };
  const md = formatMarkdown(report);
  const lines = md.split('\n');
  assert.equal(lines[0], '### Image Trust: 3 finding(s) (1 error, 2 warning) in 3 image reference(s)');
  const rows = lines.filter((l) => l.startsWith('| `'));
  assert.equal(rows.length, 3);
  for (const row of rows) assert.equal(cells(row).length, 4, row);
  const [bad] = cells(rows[0]);
  assert.equal(bad, '`k8s/pod\\|x.yaml:6`');
  assert.equal(cells(rows[0])[1], '``Bad\\|ref`x``');
  assert.match(cells(rows[0])[2], /^⛔ `invalid-reference` Invalid image reference "Bad\\\|ref\\`x"/);
  assert.deepEqual(cells(rows[2]).slice(1, 3), ['`redis`', '⚠️ `implicit-latest` Image without tag or digest \\(implicit :latest\\)']);
  assert.match(md, /^Deploy by digest: /m);
});

test('no findings: one ✅ line and nothing else', () => {
  const report = { files: [reportFile('p.yaml', '/r/p.yaml', pod([`nginx@sha256:${'a'.repeat(64)}`]), 'kubernetes')], notices: [] };
  assert.equal(formatMarkdown(report), '✅ **Image Trust**: no findings in 1 image reference(s).\n');
});
