// The editor's trust view against a real registry: background verification under the workspace policy turns into
// diagnostics, the hover's first lines say whether the image can be trusted, the tree request carries signatures,
// and a broken policy gets one clear diagnostic in the policy file while nothing is reported verified.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Hover } from 'vscode-languageserver-protocol';
import type { TreeResult } from '../../server/src/protocol';
import { LspSession } from '../support/lsp';
import { buildImage, pushImage, startRegistry, type ImageLayout, type TestRegistry } from '../support/registry';
import { cosignKeySignature, newKeyPair, podManifest, publicKeyPem, pushCosignSignatures } from '../support/signing';
import { requireRegistryTools } from '../support/requirements';

const { skip } = requireRegistryTools();

describe('language server: verification, hover and tree', { skip }, () => {
  let reg: TestRegistry;
  let dir: string;
  let lsp: LspSession;
  let signed: ImageLayout;
  let unsigned: ImageLayout;
  const ws = () => join(dir, 'ws');
  const uri = (name: string) => pathToFileURL(join(ws(), name)).toString();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'image-trust-lsp-verify-'));
    reg = await startRegistry();
    signed = await buildImage(join(dir, 'l1'), { seed: 'signed' });
    await pushImage(signed, reg, 'shop/api:1.0');
    unsigned = await buildImage(join(dir, 'l2'), { seed: 'unsigned' });
    await pushImage(unsigned, reg, 'shop/worker:1.0');
    const keys = newKeyPair();
    await pushCosignSignatures(reg, 'shop/api', signed.digest, [cosignKeySignature(keys.privateKey, `${reg.host}/shop/api`, signed.digest)]);
    mkdirSync(join(ws(), 'keys'), { recursive: true });
    writeFileSync(join(ws(), 'keys', 'release.pub'), publicKeyPem(keys.publicKey));
    writeFileSync(
      join(ws(), '.image-trust.yaml'),
      // The signatures here are made without a transparency log: the key signer says `tlog: false`.
      ['version: 1', 'rules:', '  - name: shop', `    match: ["${reg.host}/shop/**"]`, '    mode: enforce', '    signers:', '      - key: ./keys/release.pub', '        tlog: false', ''].join('\n'),
    );
    lsp = await LspSession.start({ rootPath: ws(), initializationOptions: { cacheDir: join(dir, 'cache') } });
  });
  after(async () => {
    await lsp?.stop();
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('an unsigned image under an enforce rule becomes an error; the signed one does not', async () => {
    const text = podManifest([`${reg.host}/shop/api@${signed.digest}`, `${reg.host}/shop/worker@${unsigned.digest}`]);
    await lsp.open(uri('pod.yaml'), text);
    const p = await lsp.diagnostics(uri('pod.yaml'), (d) => d.diagnostics.some((x) => x.code === 'unsigned'));
    assert.deepEqual(
      p.diagnostics.map((d) => ({ code: d.code, severity: d.severity })),
      [{ code: 'unsigned', severity: 1 }],
    );
    assert.match(String(p.diagnostics[0].message), /shop\/worker.*has no signature.*policy rule "shop", enforce/);
  });

  test('the hover answers "can I trust this?" in its first lines', async () => {
    const text = podManifest([`${reg.host}/shop/api@${signed.digest}`, `${reg.host}/shop/worker@${unsigned.digest}`]);
    const line = text.split('\n').findIndex((l) => l.includes('shop/api@'));
    const character = text.split('\n')[line].indexOf('shop/api') + 2;
    const hover = (await lsp.conn.sendRequest('textDocument/hover', { textDocument: { uri: uri('pod.yaml') }, position: { line, character } })) as Hover;
    const value = (hover.contents as { value: string }).value;
    const [first, second, third] = value.split('\n');
    assert.match(first, /✅ .*shop\/api.* — \*\*pinned and verified\*\*/);
    assert.match(second, new RegExp(`Pinned to .${signed.digest.slice(0, 19)}`));
    assert.match(third, /Signatures: \*\*verified\*\* — Signed by .*release\.pub/);
    assert.match(value, /cosign signature \(cosign-tag\)/);
    assert.match(value, /\*\*Policy\*\* rule `shop` \(enforce\)/);
  });

  test('the tree request carries trust status and signatures for each reference', async () => {
    const tree = (await lsp.conn.sendRequest('imageTrust/tree')) as TreeResult;
    const refs = tree.files.flatMap((f) => f.references);
    const api = refs.find((r) => r.reference.includes('shop/api'))!;
    const worker = refs.find((r) => r.reference.includes('shop/worker'))!;
    assert.equal(api.trust?.status, 'verified');
    assert.equal(api.signatures[0].status, 'verified');
    assert.equal(api.policy?.rule, 'shop');
    assert.equal(worker.trust?.status, 'unsigned');
    assert.deepEqual(worker.findings.map((f) => f.code), ['unsigned']);
  });

  test('a broken policy: one diagnostic in the policy file, and nothing verified under it', async () => {
    const policyUri = uri('.image-trust.yaml');
    const since = lsp.mark();
    await lsp.open(policyUri, 'version: 1\nrules:\n  - name: shop\n    mode: enforcing\n');
    const p = await lsp.diagnostics(policyUri, (d) => d.diagnostics.length > 0);
    assert.ok(p.diagnostics.some((d) => d.severity === 1 && /mode/.test(String(d.message))), JSON.stringify(p.diagnostics));
    const text = podManifest([`${reg.host}/shop/api@${signed.digest}`]);
    await lsp.open(uri('other.yaml'), text);
    await lsp.diagnostics(uri('other.yaml'));
    // The re-judging runs in the background: the server says busy, then idle.
    await lsp.idle(since);
    // Once the background work has judged every reference under the broken policy (each has a policy entry in the
    // tree, announced by treeChanged), nothing may claim verification.
    const tree = await lsp.tree((t) => t.files.length > 0 && t.files.every((f) => f.references.every((r) => r.policy !== null)), {
      timeoutMs: 30_000,
      what: 'every reference judged under the broken policy',
    });
    assert.ok(tree.files.some((f) => f.uri === uri('other.yaml')), 'other.yaml is in the tree');
    for (const r of tree.files.flatMap((f) => f.references)) assert.notEqual(r.trust?.status, 'verified', r.reference);
    const line = text.split('\n').findIndex((l) => l.includes('shop/api@'));
    const hover = (await lsp.conn.sendRequest('textDocument/hover', { textDocument: { uri: uri('other.yaml') }, position: { line, character: text.split('\n')[line].indexOf('shop') + 1 } })) as Hover;
    assert.match((hover.contents as { value: string }).value.split('\n')[0], /not verified.*trust policy is invalid/);
  });
});
