// Hostile files in a repository: YAML alias bombs, a 50 MB file, a 1 MB single line, binary content under a YAML
// name, invalid UTF-8, 100k nested flow collections, and a Dockerfile whose ARGs double in size line after line.
// Each goes through the built CLI (`scan`) and the built language server, with stated time and memory bounds; the
// server must keep answering for other documents right after.
//
// Bounds (generous, for slow CI machines; measured locally at well under a third of each):
//   CLI, per file:       wall time ≤ CLI_TIME_MS, peak RSS growth over the process's start ≤ CLI_RSS_GROWTH_MB
//   LSP, per document:   diagnostics within LSP_DOC_MS; a small document opened right after gets its diagnostics
//                        within LSP_NEXT_DOC_MS; the server's peak RSS (VmHWM) stays ≤ LSP_PEAK_RSS_MB overall.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadPolicy } from '../../server/src/core/policy';
import { CLI_BIN, REPO_ROOT } from '../support/cli';
import { LspSession } from '../support/lsp';

const CLI_TIME_MS = 30_000;
const CLI_RSS_GROWTH_MB = 768;
const LSP_DOC_MS = 30_000;
const LSP_NEXT_DOC_MS = 5_000;
const LSP_PEAK_RSS_MB = 2048;
const MB = 1024 * 1024;

// ---- the files ----------------------------------------------------------------------------------------------------

const POD_HEAD = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: hostile\n';

/** Billion laughs: 9 levels of 9 aliases each, plus the image itself reached through every level. */
function aliasBomb(): string {
  let s = POD_HEAD + 'x-lol:\n  l0: &l0 {image: "nginx:1.25", name: lol}\n';
  for (let i = 1; i <= 9; i++) s += `  l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]\n`;
  return s + 'spec:\n  containers: *l9\n  initContainers: [*l0, *l9, *l9]\n';
}

/** A real Pod padded with comment lines to `bytes`. */
function padded(bytes: number, head = POD_HEAD + 'spec:\n  containers:\n    - name: a\n      image: nginx:1.25\n'): string {
  const line = `# ${'x'.repeat(98)}\n`;
  return head + line.repeat(Math.ceil((bytes - head.length) / line.length));
}

/** A Pod whose spec is minified JSON: 1 MB on one line, 24k containers. */
function singleLine(): string {
  const items = Array.from({ length: 24_000 }, (_, i) => `{"name": "c${i}", "image": "nginx:1.${i % 30}"}`).join(', ');
  return `${POD_HEAD}spec: {"containers": [${items}]}\n`;
}

function binary(): Buffer {
  const b = Buffer.alloc(256 * 1024);
  for (let i = 0; i < b.length; i++) b[i] = (i * 2654435761) >>> 24; // deterministic noise, NULs included
  return b;
}

/** A valid Pod with invalid UTF-8 sequences in a comment and inside a (then invalid) image. */
function invalidUtf8(): Buffer {
  return Buffer.concat([
    Buffer.from(POD_HEAD + '# '),
    Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82, 0xed, 0xa0, 0x80]),
    Buffer.from('\nspec:\n  containers:\n    - name: a\n      image: nginx:1.25\n    - name: b\n      image: "redis:7'),
    Buffer.from([0xc0, 0xaf]),
    Buffer.from('"\n'),
  ]);
}

const NESTED = 100_000;
const openBrackets = () => POD_HEAD + 'spec: ' + '['.repeat(NESTED) + '\n';
const balancedBrackets = () => POD_HEAD + 'spec:\n  containers:\n    - image: nginx:1.25\n      args: ' + '['.repeat(NESTED) + ']'.repeat(NESTED) + '\n';

/** 40 ARGs, each twice the one before (2^40 characters if expanded), used by 60 FROM lines. */
function doublingArgs(): string {
  let s = 'ARG A0=nginx\n';
  for (let i = 0; i < 40; i++) s += `ARG A${i + 1}=\${A${i}}\${A${i}}\n`;
  for (let j = 0; j < 60; j++) s += `FROM \${A40}:${j}\n`;
  return s + 'FROM nginx:1.25\n';
}

interface Case {
  name: string;
  file: string;
  content: () => string | Buffer;
  /** What the JSON report must show for the file. */
  expect: (report: ScanJson, stdout: string) => void;
}

interface ScanJson {
  references: { path: string; text: string; status: string }[];
  notices?: { path: string; message: string }[];
}

function refsOf(report: ScanJson): { text: string; status: string }[] {
  return report.references;
}

const CASES: Case[] = [
  {
    name: 'YAML alias bomb',
    file: 'bomb.yaml',
    content: aliasBomb,
    // The anchored image is one reference, reported once at the anchor, however many aliases reach it.
    expect: (r) => assert.deepEqual(refsOf(r).map((x) => x.text), ['nginx:1.25']),
  },
  {
    name: '50 MB file',
    file: 'huge.yaml',
    content: () => padded(50 * MB),
    expect: (r) => {
      assert.equal(refsOf(r).length, 0);
      assert.match(r.notices?.find((n) => n.path.endsWith('huge.yaml'))?.message ?? '', /over the 5 MiB limit/);
    },
  },
  {
    name: '1 MB single line',
    file: 'one-line.yaml',
    content: singleLine,
    expect: (r) => assert.equal(refsOf(r).length, 24_000),
  },
  {
    name: 'binary file with a YAML name',
    file: 'docker-compose.yaml',
    content: binary,
    expect: (r) => {
      assert.equal(refsOf(r).length, 0);
      assert.match(r.notices?.find((n) => n.path.endsWith('docker-compose.yaml'))?.message ?? '', /binary/);
    },
  },
  {
    name: 'invalid UTF-8',
    file: 'bad-utf8.yaml',
    content: invalidUtf8,
    expect: (r) => {
      const refs = refsOf(r);
      assert.deepEqual(refs.map((x) => x.status), ['unpinned', 'invalid']);
      assert.equal(refs[0].text, 'nginx:1.25');
      assert.match(refs[1].text, /^redis:7\uFFFD+$/);
    },
  },
  { name: `${NESTED} unclosed [`, file: 'open.yaml', content: openBrackets, expect: (r) => assert.equal(refsOf(r).length, 0) },
  {
    // The YAML parser gives up on nesting this deep (RESOURCE_EXHAUSTION): bounded, but see the todo test below.
    name: `${NESTED} nested balanced [ ]`,
    file: 'nested.yaml',
    content: balancedBrackets,
    expect: (r) => assert.ok(Array.isArray(r.references)),
  },
  {
    name: 'Dockerfile with ARGs doubling 40 times',
    file: 'Dockerfile',
    content: doublingArgs,
    // Expansion is budgeted: the doubled ARGs end up unresolved (templated), the literal FROM is still found.
    expect: (r) => {
      const refs = refsOf(r);
      assert.ok(refs.some((x) => x.text === 'nginx:1.25' && x.status === 'unpinned'));
      assert.ok(refs.filter((x) => x.text !== 'nginx:1.25').every((x) => x.status === 'templated' && x.text.length < 100));
    },
  },
];

// ---- CLI ----------------------------------------------------------------------------------------------------------

let dir: string;
let preload: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'image-trust-hostile-files-'));
  for (const c of CASES) {
    mkdirSync(join(dir, c.file + '.d'));
    writeFileSync(join(dir, c.file + '.d', c.file), c.content());
  }
  // Reports the CLI's own peak RSS over its RSS at start (after Node itself is up) when it exits.
  preload = join(dir, 'measure.cjs');
  writeFileSync(
    preload,
    'const start = process.memoryUsage().rss;\n' +
      "process.on('exit', () => process.stderr.write(`\\nPEAK_RSS_GROWTH=${process.resourceUsage().maxRSS * 1024 - start}\\n`));\n",
  );
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('hostile files through the CLI', () => {
  for (const c of CASES) {
    test(`scan: ${c.name} — bounded time and memory, sane exit`, (t) => {
      const started = Date.now();
      const r = spawnSync(process.execPath, ['--require', preload, CLI_BIN, 'scan', '--format', 'json', '--fail-on', 'never', c.file + '.d'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: CLI_TIME_MS * 2,
        maxBuffer: 256 * MB,
        env: { ...process.env, DOCKER_CONFIG: join(dir, 'no-docker-config') },
      });
      const elapsed = Date.now() - started;
      assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ''}: ${r.stderr.slice(0, 2000)}`);
      assert.ok(elapsed <= CLI_TIME_MS, `${c.name}: ${elapsed} ms > ${CLI_TIME_MS} ms`);
      const growth = Number(/PEAK_RSS_GROWTH=(\d+)/.exec(r.stderr)?.[1]);
      assert.ok(Number.isFinite(growth), 'the CLI reported its peak memory');
      assert.ok(growth <= CLI_RSS_GROWTH_MB * MB, `${c.name}: RSS grew ${(growth / MB).toFixed(0)} MB > ${CLI_RSS_GROWTH_MB} MB`);
      t.diagnostic(`${elapsed} ms, peak RSS +${(growth / MB).toFixed(0)} MB`);
      c.expect(JSON.parse(r.stdout) as ScanJson, r.stdout);
    });
  }

  test('scan of all of them at once: every file reported or skipped, exit code from the findings', () => {
    const r = spawnSync(process.execPath, [CLI_BIN, 'scan', '.'], { cwd: dir, encoding: 'utf8', timeout: CLI_TIME_MS * 4, maxBuffer: 256 * MB, env: { ...process.env, DOCKER_CONFIG: join(dir, 'none') } });
    // Unpinned tags (and the invalid reference) are findings at or above the default --fail-on warning: exit 1.
    assert.equal(r.status, 1, r.stderr.slice(0, 2000));
    assert.match(r.stdout, /huge\.yaml: note: skipped: 50\.0 MiB is over the 5 MiB limit/);
    assert.match(r.stdout, /docker-compose\.yaml: note: skipped: binary file/);
    assert.match(r.stdout, /bad-utf8\.yaml:\d+:\d+: error \[invalid-reference\]/);
  });

  test('symlinks out of the tree and symlink loops are not followed', () => {
    const outside = mkdtempSync(join(tmpdir(), 'image-trust-outside-'));
    try {
      writeFileSync(join(outside, 'pod.yaml'), POD_HEAD + 'spec:\n  containers:\n    - image: outside:1\n');
      const repo = join(dir, 'links');
      mkdirSync(repo);
      writeFileSync(join(repo, 'own.yaml'), POD_HEAD + 'spec:\n  containers:\n    - image: inside:1\n');
      symlinkSync(join(outside, 'pod.yaml'), join(repo, 'deploy.yaml'));
      symlinkSync(outside, join(repo, 'outside-dir'));
      symlinkSync(repo, join(repo, 'loop'));
      const r = spawnSync(process.execPath, [CLI_BIN, 'scan', '--format', 'json', 'links'], { cwd: dir, encoding: 'utf8', timeout: CLI_TIME_MS });
      assert.equal(r.status, 1, r.stderr);
      assert.deepEqual((JSON.parse(r.stdout) as ScanJson).references.map((x) => x.text), ['inside:1']);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  // Known gap (docs/security.md): a document the YAML parser rejects — here for nesting ~1000 deep, which kubectl's
  // go-yaml still accepts — yields no references and no finding, so an image hidden in it passes the scan.
  test('a Pod the YAML parser gives up on fails the scan instead of passing silently', () => {
    const nested = join(dir, 'nested-1000.yaml');
    writeFileSync(nested, POD_HEAD + 'spec:\n  containers:\n    - image: evil:latest\n      args: ' + '['.repeat(1000) + ']'.repeat(1000) + '\n');
    const r = spawnSync(process.execPath, [CLI_BIN, 'scan', nested], { cwd: dir, encoding: 'utf8', timeout: CLI_TIME_MS });
    assert.equal(r.status, 1, r.stdout);
  });
});

// ---- language server ----------------------------------------------------------------------------------------------

interface LspDoc {
  name: string;
  file: string;
  languageId: string;
  text: () => string;
  /** Check the diagnostics published for it. */
  expect: (diags: { code?: string | number; severity?: number; message: string }[]) => void;
}

const nonKubernetesYaml = (bytes: number) => {
  const unit = 'foo:\n  bar: [1, 2, {a: b}]\n  baz: "qux"\n---\n';
  return unit.repeat(Math.ceil(bytes / unit.length));
};

const LSP_DOCS: LspDoc[] = [
  {
    name: '50 MB Kubernetes file',
    file: 'huge.yaml',
    languageId: 'yaml',
    text: () => padded(50 * MB),
    expect: (d) => {
      assert.equal(d.length, 1);
      assert.equal(d[0].code, 'file-too-large');
      assert.equal(d[0].severity, 3, 'Information');
      assert.match(d[0].message, /over the 5120 KB limit/);
    },
  },
  {
    // Regression: the kind of a YAML file was sniffed (the whole file parsed) before its size was checked: 100 s.
    name: '50 MB YAML file of no known kind',
    file: 'data.yaml',
    languageId: 'yaml',
    text: () => nonKubernetesYaml(50 * MB),
    expect: (d) => assert.deepEqual(d, []),
  },
  { name: 'alias bomb', file: 'bomb.yaml', languageId: 'yaml', text: aliasBomb, expect: (d) => assert.equal(d.filter((x) => x.code === 'unpinned-tag').length, 1) },
  { name: `${NESTED} unclosed [`, file: 'open.yaml', languageId: 'yaml', text: openBrackets, expect: (d) => assert.ok(d.every((x) => x.code !== 'analysis-failed')) },
  { name: `${NESTED} nested [ ]`, file: 'nested.yaml', languageId: 'yaml', text: balancedBrackets, expect: (d) => assert.ok(d.every((x) => x.code !== 'analysis-failed')) },
  { name: '1 MB single line', file: 'one-line.yaml', languageId: 'yaml', text: singleLine, expect: (d) => assert.equal(d.filter((x) => x.code === 'unpinned-tag').length, 24_000) },
  { name: 'binary content', file: 'docker-compose.yaml', languageId: 'yaml', text: () => binary().toString('latin1'), expect: (d) => assert.ok(d.every((x) => x.code !== 'analysis-failed')) },
  { name: 'invalid UTF-8 (as decoded by the editor)', file: 'bad-utf8.yaml', languageId: 'yaml', text: () => invalidUtf8().toString('utf8'), expect: (d) => assert.deepEqual(d.map((x) => x.code), ['unpinned-tag', 'invalid-reference']) },
  {
    name: 'Dockerfile with doubling ARGs',
    file: 'Dockerfile',
    languageId: 'dockerfile',
    text: doublingArgs,
    expect: (d) => assert.equal(d.filter((x) => x.code === 'unpinned-tag').length, 1),
  },
];

const SMALL_POD = POD_HEAD + 'spec:\n  containers:\n    - name: a\n      image: redis:7\n';

function peakRssMb(pid: number): number | undefined {
  const status = `/proc/${pid}/status`;
  if (!existsSync(status)) return undefined;
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(status, 'utf8'))?.[1];
  return kb === undefined ? undefined : Number(kb) / 1024;
}

describe('hostile documents in the language server', () => {
  let lsp: LspSession;
  let root: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'image-trust-hostile-lsp-'));
    // Offline: these documents name Docker Hub images, and this test is about files, not the network.
    lsp = await LspSession.start({ rootPath: root, settings: { offline: true }, initializationOptions: { cacheDir: join(root, 'cache') } });
  });

  after(async () => {
    await lsp?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  for (const [i, doc] of LSP_DOCS.entries()) {
    test(`${doc.name}: diagnostics within ${LSP_DOC_MS} ms, and the next document is served promptly`, async () => {
      const uri = pathToFileURL(join(root, String(i), doc.file)).toString();
      const started = Date.now();
      await lsp.open(uri, doc.text(), doc.languageId);
      const published = await lsp.diagnostics(uri, () => true, LSP_DOC_MS);
      assert.ok(Date.now() - started <= LSP_DOC_MS);
      doc.expect(published.diagnostics as { code?: string; severity?: number; message: string }[]);

      // The server is not wedged: another small document right after gets its diagnostics promptly.
      const next = pathToFileURL(join(root, String(i), 'next.yaml')).toString();
      const nextStarted = Date.now();
      await lsp.open(next, SMALL_POD);
      const nextPublished = await lsp.diagnostics(next, (p) => p.diagnostics.length > 0, LSP_NEXT_DOC_MS);
      assert.equal(nextPublished.diagnostics[0].code, 'unpinned-tag');
      assert.ok(Date.now() - nextStarted <= LSP_NEXT_DOC_MS);
      // Closing the big document frees it in the server (and keeps later cases independent).
      await lsp.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
    });
  }

  test(`the server's peak memory stayed under ${LSP_PEAK_RSS_MB} MB and it still answers requests`, async (t) => {
    const peak = peakRssMb(lsp.server.pid!);
    t.diagnostic(`server peak RSS ${peak?.toFixed(0)} MB`);
    if (process.platform === 'linux') assert.ok(peak !== undefined, 'VmHWM readable on Linux');
    if (peak !== undefined) assert.ok(peak <= LSP_PEAK_RSS_MB, `server peak RSS ${peak.toFixed(0)} MB > ${LSP_PEAK_RSS_MB} MB`);
    assert.equal(lsp.server.exitCode, null, 'server still running');
    const tree = await lsp.conn.sendRequest('imageTrust/tree', {});
    assert.ok(tree && typeof tree === 'object');
  });
});

describe('a hostile trust policy in the repository', () => {
  test('an alias-bomb policy is refused quickly and fails closed', () => {
    let text = 'version: 1\nx-lol:\n  l0: &l0 ["a/**", "b/**", "c/**", "d/**", "e/**", "f/**", "g/**", "h/**", "i/**"]\n';
    for (let i = 1; i <= 9; i++) text += `  l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]\n`;
    text += 'rules:\n  - name: r\n    match: *l9\n    mode: audit\n';
    const started = Date.now();
    const result = loadPolicy(text, { policyPath: join(dir, '.image-trust.yaml'), readFile: () => '' });
    assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
    assert.equal(result.broken, true);
    assert.equal(result.policy, null, 'a broken policy is never used');
  });

  test('a policy naming a system file as a key: refused, and the file content is not echoed', () => {
    const secretFile = join(dir, 'not-a-key.txt');
    writeFileSync(secretFile, 'root:SUPER-SECRET-HASH:19000:0:99999:7:::\n');
    const text = `version: 1\nrules:\n  - name: r\n    match: ["x/**"]\n    signers:\n      - key: ${secretFile}\n`;
    const result = loadPolicy(text, { policyPath: join(dir, '.image-trust.yaml'), readFile: (p) => readFileSync(p, 'utf8') });
    assert.equal(result.broken, true);
    assert.ok(result.diagnostics.length > 0);
    assert.doesNotMatch(JSON.stringify(result.diagnostics), /SUPER-SECRET-HASH/);
  });
});

// The LSP session helper resolves the bundle relative to the repository root; make a missing build obvious.
test('the bundles exist (run `npm run build` first)', () => {
  assert.ok(existsSync(join(REPO_ROOT, 'dist/server.js')) && existsSync(CLI_BIN));
});
