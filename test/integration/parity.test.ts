// One judgement: for the same workspace, settings and registry, the CLI's JSON diagnostics and the language server's
// published diagnostics are identical (codes, ranges, severities, messages), and `tree` JSON, `scan --verify` JSON and
// the editor's trust tree agree on every trust fact. A real registry with real signatures; nothing is mocked.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import type { TreeReference } from '../../server/src/protocol';
import { runCli } from '../support/cli';
import { LspSession } from '../support/lsp';
import { buildImage, pushImage, startRegistry, type ImageLayout, type TestRegistry } from '../support/registry';
import { requireRegistryTools } from '../support/requirements';
import { cosignKeySignature, newKeyPair, publicKeyPem, pushCosignSignatures } from '../support/signing';

const { skip } = requireRegistryTools();
const SEVERITY_NAMES = ['', 'error', 'warning', 'information', 'hint'];

interface Diag {
  path: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity: string;
  code: string;
  message: string;
}

const key = (d: Diag) => JSON.stringify([d.path, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d.code, d.severity, d.message]);

/** The trust facts of a reference, without what depends on when it was looked at (cache age). */
function facts(r: Record<string, unknown>) {
  const trust = r.trust as Record<string, unknown> | null;
  return {
    resolvedDigest: r.resolvedDigest ?? null,
    platforms: r.platforms ?? [],
    signatures: r.signatures,
    attestations: r.attestations,
    policy: r.policy,
    trust: trust ? { ...trust, cached: undefined, cacheAgeMs: undefined } : null,
  };
}

describe('one judgement: CLI, language server and tree agree', { skip }, () => {
  let reg: TestRegistry;
  let dir: string;
  let ws: string;
  let signed: ImageLayout;
  let unsigned: ImageLayout;
  let tagged: ImageLayout;
  let moved: ImageLayout;
  const files: Record<string, string> = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'image-trust-parity-'));
    ws = join(dir, 'ws');
    reg = await startRegistry();
    signed = await buildImage(join(dir, 'l1'), { seed: 'parity-signed' });
    await pushImage(signed, reg, 'shop/api:1.0');
    unsigned = await buildImage(join(dir, 'l2'), { seed: 'parity-unsigned' });
    await pushImage(unsigned, reg, 'shop/worker:1.0');
    tagged = await buildImage(join(dir, 'l3'), { seed: 'parity-tagged' });
    await pushImage(tagged, reg, 'shop/web:2.0');
    moved = await buildImage(join(dir, 'l4'), { seed: 'parity-moved' });
    await pushImage(moved, reg, 'shop/web:3.0');
    const keys = newKeyPair();
    await pushCosignSignatures(reg, 'shop/api', signed.digest, [cosignKeySignature(keys.privateKey, `${reg.host}/shop/api`, signed.digest)]);
    mkdirSync(join(ws, 'keys'), { recursive: true });
    mkdirSync(join(ws, 'app'), { recursive: true });
    writeFileSync(join(ws, 'keys', 'release.pub'), publicKeyPem(keys.publicKey));
    writeFileSync(
      join(ws, '.image-trust.yaml'),
      [
        'version: 1',
        'severity:',
        '  templated: hint',
        '  implicit-latest: error',
        'rules:',
        '  - name: shop-enforce',
        `    match: ["${reg.host}/shop/api", "${reg.host}/shop/worker"]`,
        '    mode: enforce',
        '    signers:',
        '      - key: ./keys/release.pub',
        '        tlog: false',
        '  - name: shop-audit',
        `    match: ["${reg.host}/shop/**"]`,
        '    mode: audit',
        '    requireDigest: true',
        '    signers:',
        '      - key: ./keys/release.pub',
        '        tlog: false',
        '',
      ].join('\n'),
    );
    files['pod.yaml'] = [
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      '  name: parity',
      'spec:',
      '  containers:',
      `    - name: api\n      image: "${reg.host}/shop/api@${signed.digest}"`,
      `    - name: worker\n      image: ${reg.host}/shop/worker@${unsigned.digest} # image-trust: ignore unsigned`,
      `    - name: web\n      image: ${reg.host}/shop/web:2.0 # image-trust: ignore unpinned-tag`,
      `    - name: moved\n      image: ${reg.host}/shop/web:3.0@${tagged.digest}`,
      '    - name: tpl\n      image: "{{ .Values.image }}"',
      '    - name: bad\n      image: "Shop/UPPER:x"',
      '    - name: latest\n      image: busybox',
      '',
    ].join('\n');
    files['app/Dockerfile'] = [`FROM ${reg.host}/shop/web:2.0 AS build`, `FROM ${reg.host}/shop/api@${signed.digest}`, 'COPY --from=build /x /x', ''].join('\n');
    for (const [name, text] of Object.entries(files)) writeFileSync(join(ws, name), text);
  });
  after(async () => {
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const severityArgs = ['--severity', 'unpinned-tag=error', '--severity', 'single-platform-pin=off'];
  const editorSeverity = { 'unpinned-tag': 'error', 'single-platform-pin': 'off' };

  function cliJson(args: string[], cache: string) {
    const r = runCli([...args, '--cache-dir', join(dir, cache), ...severityArgs, '.'], { cwd: ws, timeoutMs: 120_000 });
    try {
      return { status: r.status, json: JSON.parse(r.stdout) };
    } catch {
      throw new Error(`image-trust ${args.join(' ')} exited ${r.status} without JSON:\n${r.stdout}\n${r.stderr}`);
    }
  }

  test('CLI JSON diagnostics == language server diagnostics; tree JSON == scan JSON == editor tree on trust facts', { timeout: 180_000 }, async () => {
    const scan = cliJson(['scan', '--verify', '--format', 'json'], 'cache-scan');
    const cliDiags = (scan.json.diagnostics as Diag[]).filter((d) => d.path !== '.image-trust.yaml');
    // The workspace holds every kind of finding this comparison is about.
    const codes = new Set(cliDiags.map((d) => d.code));
    for (const c of ['unsigned', 'invalid-reference', 'templated', 'implicit-latest', 'tag-moved', 'tag-not-allowed']) assert.ok(codes.has(c), `CLI reports ${c}: ${[...codes].join(', ')}`);
    // An enforce finding is not silenced by a suppression comment; an audit-free rule's is.
    assert.ok(cliDiags.some((d) => d.code === 'unsigned' && d.severity === 'error'), 'enforce: unsigned stays an error despite the ignore comment');
    assert.ok(!cliDiags.some((d) => d.code === 'unpinned-tag' && d.path === 'pod.yaml'), 'the ignore comment silences unpinned-tag');
    assert.ok(cliDiags.some((d) => d.code === 'unpinned-tag' && d.severity === 'error'), '--severity raised unpinned-tag');
    assert.ok(cliDiags.some((d) => d.code === 'templated' && d.severity === 'hint'), 'the policy file severity: block applies');

    const lsp = await LspSession.start({ rootPath: ws, settings: { severity: editorSeverity }, initializationOptions: { cacheDir: join(dir, 'cache-lsp') } });
    try {
      const lspDiags: Diag[] = [];
      for (const name of Object.keys(files)) {
        const uri = pathToFileURL(join(ws, name)).toString();
        const since = lsp.mark();
        await lsp.open(uri, readFileSync(join(ws, name), 'utf8'), name.endsWith('Dockerfile') ? 'dockerfile' : 'yaml');
        await lsp.idle(since, 60_000);
        const expected = cliDiags.filter((d) => d.path === name).length;
        const p: PublishDiagnosticsParams = await lsp.diagnostics(uri, (d) => d.diagnostics.length >= expected, 30_000);
        for (const d of p.diagnostics) lspDiags.push({ path: name, range: d.range, severity: SEVERITY_NAMES[d.severity ?? 0], code: String(d.code), message: String(d.message) });
      }
      assert.deepEqual(lspDiags.map(key).sort(), cliDiags.map(key).sort());

      const tree = cliJson(['tree', '--format', 'json'], 'cache-tree');
      const treeRefs = (tree.json.files as { path: string; references: Record<string, unknown>[] }[]).flatMap((f) => f.references);
      const scanRefs = scan.json.references as Record<string, unknown>[];
      assert.equal(treeRefs.length, scanRefs.length);
      const byPlace = (r: Record<string, unknown>) => `${r.path}:${JSON.stringify(r.range)}`;
      const scanByPlace = new Map(scanRefs.map((r) => [byPlace(r), r]));
      for (const r of treeRefs) assert.deepEqual(facts(r), facts(scanByPlace.get(byPlace(r))!), `tree vs scan: ${r.text}`);

      const editorTree = await lsp.tree((t) => t.files.flatMap((f) => f.references).every((r) => r.status === 'invalid' || r.status === 'templated' || r.policy !== null));
      const editorRefs: TreeReference[] = editorTree.files.flatMap((f) => f.references);
      assert.equal(editorRefs.length, scanRefs.length);
      for (const r of editorRefs) {
        const path = decodeURIComponent(new URL(r.uri).pathname).slice(ws.length + 1);
        const cli = scanByPlace.get(`${path}:${JSON.stringify(r.range)}`);
        assert.ok(cli, `editor reference ${path} ${r.text} is in the CLI report`);
        assert.deepEqual(facts(r as unknown as Record<string, unknown>), facts(cli), `editor tree vs scan: ${r.text}`);
      }
    } finally {
      await lsp.stop();
    }
  });
});
