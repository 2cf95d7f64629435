// The admission preview in the editor (issue 11), over LSP against the real registry test bed: for the same workspace
// the language server's diagnostics equal `scan --verify --admission`'s (one judgement, core/assess), the trust tree's
// admission facts equal the CLI's JSON `admission[]`, the hover's "Admission" section names engine, policy, rule and
// the precise reason (expected vs observed), and the policy files' own problems are diagnostics of those files.
// Keyless signatures through @sigstore/mock's Fulcio and Rekor (the trust policy's trustedRoot), nothing mocked else.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Hover, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import type { TreeReference } from '../../server/src/protocol';
import { runCli } from '../support/cli';
import { LspSession } from '../support/lsp';
import { buildImage, pushImage, startRegistry, writeDockerConfig, type ImageLayout, type TestRegistry } from '../support/registry';
import { requireRegistryTools } from '../support/requirements';
import { attachBundle, messageBundle, MockSigstore } from '../support/signing';

const { skip } = requireRegistryTools();
const SEVERITY_NAMES = ['', 'error', 'warning', 'information', 'hint'];
const CREDS = { user: 'admission', pass: 'Admission-lsp-pass' };
const ISSUER = 'https://token.actions.githubusercontent.com';
const ACME = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';
const MALLORY = 'https://github.com/mallory/app/.github/workflows/release.yml@refs/heads/main';
const REPOS = ['gha/signed', 'gha/mallory', 'pc/signed', 'pc/mallory', 'pc/unmatched'] as const;
type Repo = (typeof REPOS)[number];

interface Diag {
  path: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity: string;
  code: string;
  message: string;
}
const key = (d: Diag) => JSON.stringify([d.path, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d.code, d.severity, d.message]);

export function admissionPolicies(host: string): string {
  return `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: { name: require-acme-signature }
spec:
  validationFailureAction: Enforce
  rules:
    - name: verify-gha
      match: { any: [{ resources: { kinds: [Pod] } }] }
      verifyImages:
        - type: SigstoreBundle
          imageReferences: ["${host}/gha/*"]
          attestors:
            - entries:
                - keyless:
                    subject: "https://github.com/acme/*"
                    issuer: "${ISSUER}"
                    rekor: { url: https://rekor.sigstore.dev }
---
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: { name: with-preconditions }
spec:
  validationFailureAction: Audit
  rules:
    - name: only-labelled
      match: { any: [{ resources: { kinds: [Pod] } }] }
      preconditions: { all: [{ key: "{{ request.object.metadata.labels.team }}", operator: Equals, value: a }] }
      verifyImages:
        - imageReferences: ["${host}/pc/unmatched*"]
          attestors: [{ entries: [{ keyless: { subject: x, issuer: y, rekor: { url: https://rekor.sigstore.dev } } }] }]
---
apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata: { name: acme-keyless }
spec:
  images: [{ glob: "${host}/pc/signed*" }, { glob: "${host}/pc/mallory*" }]
  authorities:
    - name: acme-actions
      signatureFormat: bundle
      keyless:
        url: https://fulcio.sigstore.dev
        identities: [{ issuer: "${ISSUER}", subjectRegExp: "^https://github\\\\.com/acme/" }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: config-policy-controller, namespace: cosign-system }
data: { no-match-policy: warn }
`;
}

describe('admission preview in the editor: CLI == language server, hover, tree', { skip }, () => {
  let reg: TestRegistry;
  let dir: string;
  let ws: string;
  const images = {} as Record<Repo, ImageLayout>;
  const files: Record<string, string> = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'image-trust-lsp-admission-'));
    ws = join(dir, 'ws');
    reg = await startRegistry({ auth: CREDS });
    // The CLI and the language server (children of this process) log in with this Docker config.
    process.env.DOCKER_CONFIG = await writeDockerConfig(join(dir, 'docker'), { [reg.host]: CREDS });
    for (const r of REPOS) {
      images[r] = await buildImage(join(dir, 'layouts', r), { seed: `lsp-adm-${r}` });
      await pushImage(images[r], reg, `${r}:1.0`);
    }
    const sigstore = await MockSigstore.create();
    const signAs = async (sub: string, repo: Repo) => attachBundle(reg, repo, images[repo].digest, await sigstore.keyless({ iss: ISSUER, sub }, (s, w) => messageBundle(s, images[repo].bytes, w)));
    await signAs(ACME, 'gha/signed');
    await signAs(MALLORY, 'gha/mallory');
    await signAs(ACME, 'pc/signed');
    await signAs(MALLORY, 'pc/mallory');
    mkdirSync(join(ws, 'policies'), { recursive: true });
    writeFileSync(join(ws, 'mock-root.json'), JSON.stringify(sigstore.trustedRoot));
    // The trust policy trusts the acme workflow for gha/*: mallory's signature verifies, but under no trusted signer.
    writeFileSync(
      join(ws, '.image-trust.yaml'),
      ['version: 1', 'trustedRoot: ./mock-root.json', 'rules:', '  - name: gha', `    match: ["${reg.host}/gha/**"]`, '    mode: audit', '    signers:', `      - keyless: { issuer: "${ISSUER}", subject: "${ACME}" }`, ''].join('\n'),
    );
    const at = (r: Repo) => `${reg.host}/${r}@${images[r].digest}`;
    files['policies/admission.yaml'] = admissionPolicies(reg.host);
    files['pods.yaml'] = [
      ...REPOS.map((r) => `apiVersion: v1\nkind: Pod\nmetadata: { name: ${r.replace('/', '-')}, namespace: apps }\nspec:\n  containers:\n    - name: c\n      image: "${at(r)}"\n`),
      // No namespace: evaluated as "default" (said in the message); a tag: admission rewrites it to the digest.
      `apiVersion: v1\nkind: Pod\nmetadata: { name: tagged }\nspec:\n  containers:\n    - name: c\n      image: ${reg.host}/gha/signed:1.0\n`,
    ].join('---\n');
    for (const [name, text] of Object.entries(files)) writeFileSync(join(ws, name), text);
  });
  after(async () => {
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('diagnostics, tree facts and hover agree with scan --verify --admission', { timeout: 180_000 }, async () => {
    const r = runCli(['scan', '--verify', '--admission', '--format', 'json', '--cache-dir', join(dir, 'cache-cli'), '.'], { cwd: ws, timeoutMs: 120_000 });
    const scan = JSON.parse(r.stdout) as { references: (Record<string, unknown> & { path: string; range: unknown; text: string; admission?: unknown[] })[]; diagnostics: Diag[] };
    const cliDiags = scan.diagnostics.filter((d) => d.path !== '.image-trust.yaml');
    const codes = new Set(cliDiags.map((d) => d.code));
    for (const c of ['admission-denied', 'admission-audit', 'admission-not-evaluated']) assert.ok(codes.has(c), `CLI reports ${c}: ${[...codes].join(', ')}`);
    assert.ok(cliDiags.some((d) => d.path === 'policies/admission.yaml' && d.code === 'admission-not-evaluated' && /preconditions/.test(d.message)), 'a policy problem is a diagnostic of the policy file');

    const lsp = await LspSession.start({ rootPath: ws, initializationOptions: { cacheDir: join(dir, 'cache-lsp') } });
    try {
      const lspDiags: Diag[] = [];
      for (const name of Object.keys(files)) {
        const uri = pathToFileURL(join(ws, name)).toString();
        const since = lsp.mark();
        await lsp.open(uri, readFileSync(join(ws, name), 'utf8'));
        if (name === 'pods.yaml') await lsp.idle(since, 60_000);
        const expected = cliDiags.filter((d) => d.path === name).length;
        const p: PublishDiagnosticsParams = await lsp.diagnostics(uri, (d) => d.diagnostics.length >= expected, 60_000);
        for (const d of p.diagnostics) lspDiags.push({ path: name, range: d.range, severity: SEVERITY_NAMES[d.severity ?? 0], code: String(d.code), message: String(d.message) });
      }
      assert.deepEqual(lspDiags.map(key).sort(), cliDiags.map(key).sort());

      // The trust tree: admission facts in the CLI's JSON shape, the same as scan's admission[].
      const tree = await lsp.tree((t) => t.files.flatMap((f) => f.references).every((x) => x.admission !== null), { timeoutMs: 60_000 });
      const editorRefs: TreeReference[] = tree.files.flatMap((f) => f.references);
      const podRefs = scan.references.filter((x) => x.path === 'pods.yaml');
      assert.equal(editorRefs.length, podRefs.length);
      for (const e of editorRefs) {
        const cli = podRefs.find((x) => JSON.stringify(x.range) === JSON.stringify(e.range));
        assert.ok(cli, e.text);
        assert.deepEqual(e.admission, cli.admission, `tree vs scan admission[] for ${e.text}`);
      }
      const mallory = editorRefs.find((x) => x.text.includes('/gha/mallory@'))!;
      assert.ok(mallory.findings.some((f) => f.code === 'admission-denied'), 'the status bar counts this reference as denied');

      // Hover: an "Admission" section naming engine, policy and rule, the reason and expected vs observed.
      const podsUri = pathToFileURL(join(ws, 'pods.yaml')).toString();
      const hover = (await lsp.conn.sendRequest('textDocument/hover', { textDocument: { uri: podsUri }, position: mallory.range.start })) as Hover;
      const md = (hover.contents as { value: string }).value;
      assert.match(md, /\*\*Admission\*\*/);
      assert.ok(md.includes('**denied** by Kyverno ClusterPolicy/require-acme-signature, rule verify-gha'), md);
      assert.ok(md.includes('`admission-identity-mismatch`'), md);
      assert.ok(md.includes(`expected: \`subject https://github.com/acme/*, issuer ${ISSUER}\``), md);
      assert.ok(md.includes(`observed: \`subject ${MALLORY}, issuer ${ISSUER}\``), md);
      const tagged = editorRefs.find((x) => x.text.endsWith('/gha/signed:1.0'))!;
      const tagHover = ((await lsp.conn.sendRequest('textDocument/hover', { textDocument: { uri: podsUri }, position: tagged.range.start })) as Hover).contents as { value: string };
      assert.ok(tagHover.value.includes(`admission rewrites this to \`${reg.host}/gha/signed:1.0@${images['gha/signed'].digest}\``), tagHover.value);
      assert.match(tagHover.value, /evaluated as namespace "default"/);
    } finally {
      await lsp.stop();
    }
  });

  /** The document's text with an LSP edit applied (insertions only, as "Add an attestor" makes). */
  function applyEdit(text: string, edits: { range: { start: { line: number; character: number } }; newText: string }[]): string {
    const lines = text.split('\n');
    const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
    let out = text;
    for (const e of [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start))) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.start));
    return out;
  }

  test('"Add an attestor for this signer": Kyverno (file on disk), ClusterImagePolicy (open buffer) and .image-trust.yaml; re-evaluation admits', { timeout: 180_000 }, async () => {
    // A copy of the workspace: the edits are written into it.
    const ws2 = join(dir, 'ws-attestor');
    mkdirSync(join(ws2, 'policies'), { recursive: true });
    for (const name of ['.image-trust.yaml', 'mock-root.json', ...Object.keys(files)]) writeFileSync(join(ws2, name), readFileSync(join(ws, name)));
    const lsp = await LspSession.start({ rootPath: ws2, initializationOptions: { cacheDir: join(dir, 'cache-lsp-attestor') } });
    const uriOf = (name: string) => pathToFileURL(join(ws2, name)).toString();
    const podsUri = uriOf('pods.yaml');
    type Edit = { documentChanges: { textDocument: { uri: string; version: number | null }; edits: { range: { start: { line: number; character: number } }; newText: string }[] }[] };
    const actionsFor = async (fragment: string, code: string) => {
      const p = await lsp.diagnostics(podsUri, (x) => x.diagnostics.some((d) => d.code === code && podsText.split('\n')[d.range.start.line].includes(fragment)), 60_000);
      const d = p.diagnostics.find((x) => x.code === code && podsText.split('\n')[x.range.start.line].includes(fragment))!;
      return (await lsp.conn.sendRequest('textDocument/codeAction', { textDocument: { uri: podsUri }, range: d.range, context: { diagnostics: [d] } })) as { title: string; edit?: Edit }[];
    };
    const podsText = readFileSync(join(ws2, 'pods.yaml'), 'utf8');
    const denied = (p: PublishDiagnosticsParams, fragment: string, policyName: string) =>
      p.diagnostics.some((d) => d.code === 'admission-denied' && podsText.split('\n')[d.range.start.line].includes(fragment) && String(d.message).includes(policyName));
    try {
      const since = lsp.mark();
      await lsp.open(podsUri, podsText);
      await lsp.idle(since, 60_000);

      // Kyverno: the policy file is not open; the edit is unversioned, the file written like an editor saves it.
      const kyvernoActions = await actionsFor('/gha/mallory@', 'admission-denied');
      const add = kyvernoActions.find((a) => a.title.startsWith('Add an attestor for this signer') && a.title.includes('ClusterPolicy/require-acme-signature, rule verify-gha'));
      assert.ok(add, JSON.stringify(kyvernoActions.map((a) => a.title)));
      assert.ok(add.title.includes('(https://github.com/mallory/app/.github/workflows/release.…)'), add.title);
      const change = add.edit!.documentChanges[0];
      assert.equal(change.textDocument.uri, uriOf('policies/admission.yaml'));
      assert.equal(change.textDocument.version, null);
      const before = readFileSync(join(ws2, 'policies/admission.yaml'), 'utf8');
      const after = applyEdit(before, change.edits);
      // Minimal: insertions only, and what they insert is exactly the attestor (and the count that makes it one of two).
      assert.deepEqual(change.edits.map((e) => e.newText), ['count: 1\n              ', `\n                - keyless:\n                    subject: ${MALLORY}\n                    issuer: ${ISSUER}\n                    rekor:\n                      url: https://rekor.sigstore.dev`]);
      writeFileSync(join(ws2, 'policies/admission.yaml'), after);
      await lsp.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf('policies/admission.yaml'), type: 2 }] });
      const admitted = await lsp.diagnostics(podsUri, (p) => !denied(p, '/gha/mallory@', 'require-acme-signature') && p.diagnostics.some((d) => d.code === 'admission-denied' && String(d.message).includes('acme-keyless')), 60_000);
      assert.ok(!denied(admitted, '/gha/mallory@', 'require-acme-signature'));
      const tree = await lsp.tree((t) => t.files.flatMap((f) => f.references).some((r) => r.text.includes('/gha/mallory@') && r.admission?.some((a) => a.policy === 'ClusterPolicy/require-acme-signature' && a.result === 'admitted')), { timeoutMs: 60_000 });
      assert.ok(tree);

      // policy-controller: applied in an open buffer (didOpen with the edited text, unsaved).
      const pcActions = await actionsFor('/pc/mallory@', 'admission-denied');
      const addPc = pcActions.find((a) => a.title.includes('to ClusterImagePolicy/acme-keyless'));
      assert.ok(addPc, JSON.stringify(pcActions.map((a) => a.title)));
      const pcChange = addPc.edit!.documentChanges[0];
      assert.deepEqual(pcChange.edits.map((e) => e.newText), [`, { issuer: "${ISSUER}", subject: "${MALLORY}" }`.replace(/"/g, '')]);
      await lsp.open(uriOf('policies/admission.yaml'), applyEdit(after, pcChange.edits));
      await lsp.diagnostics(podsUri, (p) => !denied(p, '/pc/mallory@', 'acme-keyless') && !denied(p, '/gha/mallory@', 'require-acme-signature'), 60_000);

      // .image-trust.yaml: the untrusted-signer finding gets the same action for the trust policy's rule.
      const trustActions = await actionsFor('/gha/mallory@', 'untrusted-signer');
      const addTrust = trustActions.find((a) => a.title.endsWith('to .image-trust.yaml, rule gha'));
      assert.ok(addTrust, JSON.stringify(trustActions.map((a) => a.title)));
      const trustChange = addTrust.edit!.documentChanges[0];
      assert.equal(trustChange.textDocument.uri, uriOf('.image-trust.yaml'));
      const policyText = applyEdit(readFileSync(join(ws2, '.image-trust.yaml'), 'utf8'), trustChange.edits);
      writeFileSync(join(ws2, '.image-trust.yaml'), policyText);
      await lsp.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf('.image-trust.yaml'), type: 2 }] });
      await lsp.diagnostics(podsUri, (p) => !p.diagnostics.some((d) => d.code === 'untrusted-signer' && podsText.split('\n')[d.range.start.line].includes('/gha/mallory@')) && p.diagnostics.some((d) => d.code === 'admission-denied'), 60_000);

      // Offered only where it admits: an image signed by the acme workflow needs no attestor; an unsigned one has no signer.
      for (const fragment of ['/pc/unmatched@']) {
        const p = await lsp.diagnostics(podsUri);
        const d = p.diagnostics.find((x) => podsText.split('\n')[x.range.start.line].includes(fragment));
        if (!d) continue;
        const none = (await lsp.conn.sendRequest('textDocument/codeAction', { textDocument: { uri: podsUri }, range: d.range, context: { diagnostics: [d] } })) as { title: string }[];
        assert.ok(!none.some((a) => a.title.startsWith('Add an attestor')), JSON.stringify(none));
      }
    } finally {
      await lsp.stop();
    }
  });
});
