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
    writeFileSync(join(ws, '.image-trust.yaml'), 'version: 1\ntrustedRoot: ./mock-root.json\n');
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
});
