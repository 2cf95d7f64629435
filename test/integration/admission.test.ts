// Admission preview against a real registry with real signatures: policies written the way teams publish them
// (Kyverno verifyImages and Sigstore policy-controller ClusterImagePolicy), each with admitted and denied images.
// Signatures: Sigstore bundles (key, and keyless through @sigstore/mock's Fulcio and Rekor) attached as referrers,
// and cosign's legacy `.sig` tag signatures made with local keys. The registry is never mocked.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { analyzeText } from '../../server/src/core/analyze';
import { evaluateAdmission, type AdmissionEnv } from '../../server/src/core/admission/evaluate';
import { readAdmissionPolicies } from '../../server/src/core/admission/read';
import { ManifestResources } from '../../server/src/core/admission/resource';
import type { AdmissionResult } from '../../server/src/core/admission/types';
import type { RegistryClient } from '../../server/src/core/registry';
import { resolveReference } from '../../server/src/core/resolve';
import { trustMaterialFromRoot } from '../../server/src/core/trust/signers';
import { escapeMarkdown } from '../../server/src/cli/format/markdown';
import { runCli } from '../support/cli';
import { buildImage, pushImage, startRegistry, writeDockerConfig, type ImageLayout, type TestRegistry } from '../support/registry';
import {
  attachBundle,
  cosignKeySignature,
  dsseBundle,
  inTotoStatement,
  messageBundle,
  MockSigstore,
  newKeyPair,
  publicKeyPem,
  pushCosignSignatures,
  SLSA_PROVENANCE_V1,
  SLSA_V1_PREDICATE,
  SPDX_DOCUMENT,
  SPDX_PREDICATE,
  testRegistryClient,
} from '../support/signing';
import { requireRegistryTools } from '../support/requirements';

const { skip } = requireRegistryTools();
const CREDS = { user: 'admission', pass: 'Admission-test-pass' };
const ISSUER = 'https://token.actions.githubusercontent.com';
const ACME = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';
const MALLORY = 'https://github.com/mallory/app/.github/workflows/release.yml@refs/heads/main';

const REPOS = ['gha/signed', 'gha/mallory', 'slsa/good', 'slsa/bad-builder', 'sbom/with-spdx', 'sbom/without', 'two/both', 'two/one', 'two/unlogged', 'skip/unsigned', 'other/unsigned', 'team/unsigned', 'pc/signed', 'pc/mallory', 'pc/unmatched'] as const;
type Repo = (typeof REPOS)[number];

const pem = (k: ReturnType<typeof newKeyPair>) => JSON.stringify(publicKeyPem(k.publicKey));

function policies(host: string, keyA: string, keyB: string): string {
  return `# Kyverno: keyless GitHub Actions identity with a wildcard subject (Sigstore bundles).
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: { name: require-acme-signature }
spec:
  validationFailureAction: Enforce
  rules:
    - name: verify-gha
      match: { any: [{ resources: { kinds: [Pod] } }] }
      verifyImages:
        - type: SigstoreBundle
          imageReferences: ["${host}/gha/*", "127.0.0.1:1/*"]
          attestors:
            - entries:
                - keyless:
                    subject: "https://github.com/acme/*"
                    issuer: "${ISSUER}"
                    rekor: { url: https://rekor.sigstore.dev }
---
# Kyverno: SLSA provenance whose builder must be GitHub-hosted, and an SPDX SBOM.
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: { name: require-provenance }
spec:
  validationFailureAction: Enforce
  rules:
    - name: slsa-builder
      match: { any: [{ resources: { kinds: [Pod] } }] }
      verifyImages:
        - type: SigstoreBundle
          imageReferences: ["${host}/slsa/*"]
          attestations:
            - type: ${SLSA_PROVENANCE_V1}
              attestors: [{ entries: [{ keyless: { subjectRegExp: "^https://github\\\\.com/acme/.*$", issuer: "${ISSUER}", rekor: { url: https://rekor.sigstore.dev } } }] }]
              conditions:
                - all:
                    - key: "{{ runDetails.builder.id }}"
                      operator: Equals
                      value: "https://github.com/actions/runner/github-hosted"
    - name: sbom
      match: { any: [{ resources: { kinds: [Pod] } }] }
      verifyImages:
        - type: SigstoreBundle
          imageReferences: ["${host}/sbom/*"]
          attestations:
            - type: ${SPDX_DOCUMENT}
              attestors: [{ entries: [{ keyless: { subject: "${ACME}", issuer: "${ISSUER}", rekor: { url: https://rekor.sigstore.dev } } }] }]
---
# Kyverno: two release keys must both have signed (count 2), cosign .sig signatures made without Rekor.
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: { name: two-person-rule }
spec:
  validationFailureAction: Enforce
  rules:
    - name: both-keys
      match: { any: [{ resources: { kinds: [Pod] } }] }
      verifyImages:
        - imageReferences: ["${host}/two/both*", "${host}/two/one*"]
          mutateDigest: false
          verifyDigest: false
          attestors:
            - count: 2
              entries:
                - keys: { publicKeys: ${keyA}, rekor: { url: https://rekor.sigstore.dev, ignoreTlog: true } }
                - keys: { publicKeys: ${keyB}, rekor: { url: https://rekor.sigstore.dev, ignoreTlog: true } }
    - name: logged-key
      match: { any: [{ resources: { kinds: [Pod] } }] }
      verifyImages:
        - imageReferences: ["${host}/two/unlogged*"]
          attestors: [{ entries: [{ keys: { publicKeys: ${keyA} } }] }]
---
# Kyverno: everything from the registry must be signed, except the skip/ repositories.
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: { name: signed-unless-skipped }
spec:
  validationFailureAction: Enforce
  rules:
    - name: keyed
      match: { any: [{ resources: { kinds: [Pod] } }] }
      verifyImages:
        - imageReferences: ["${host}/skip/*", "${host}/other/*"]
          skipImageReferences: ["${host}/skip/*"]
          attestors: [{ entries: [{ keys: { publicKeys: ${keyA}, rekor: { url: https://rekor.sigstore.dev, ignoreTlog: true } } }] }]
---
# Kyverno: a namespaced Policy of team-a, in Audit mode.
apiVersion: kyverno.io/v1
kind: Policy
metadata: { name: team-a-signed, namespace: team-a }
spec:
  validationFailureAction: Audit
  rules:
    - name: team-key
      match: { any: [{ resources: { kinds: [Pod] } }] }
      verifyImages:
        - imageReferences: ["${host}/team/*"]
          mutateDigest: false
          attestors: [{ entries: [{ keys: { publicKeys: ${keyA}, rekor: { url: https://rekor.sigstore.dev, ignoreTlog: true } } }] }]
---
# Sigstore policy-controller: keyless identity by regexp.
apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata: { name: acme-keyless }
spec:
  images: [{ glob: "${host}/pc/sign*" }, { glob: "${host}/pc/mallory*" }]
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

function pods(host: string, images: Record<Repo, ImageLayout>): string {
  const pod = (name: string, ns: string, image: string) => `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name}, namespace: ${ns} }\nspec:\n  containers:\n    - name: c\n      image: "${image}"\n`;
  const at = (r: Repo) => `${host}/${r}@${images[r].digest}`;
  return [
    ...REPOS.filter((r) => !r.startsWith('team/')).map((r) => pod(r.replace('/', '-'), 'apps', at(r))),
    pod('team-a-pod', 'team-a', `${host}/team/unsigned:1.0`),
    pod('team-b-pod', 'team-b', `${host}/team/unsigned:1.0`),
    pod('gha-tag', 'apps', `${host}/gha/signed:1.0`),
    pod('gone', 'apps', `127.0.0.1:1/gha/unreachable@${images['gha/signed'].digest}`),
  ].join('---\n');
}

describe('admission preview: Kyverno and policy-controller policies on a real registry', { skip }, () => {
  let reg: TestRegistry;
  let dir: string;
  let client: RegistryClient;
  let material: AdmissionEnv['material'];
  const images = {} as Record<Repo, ImageLayout>;
  let manifest: string;
  let policyText: string;
  let mockRoot: unknown;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'image-trust-admission-'));
    reg = await startRegistry({ auth: CREDS });
    await Promise.all(REPOS.map(async (repo) => {
      images[repo] = await buildImage(path.join(dir, 'layouts', repo), { seed: repo });
      await pushImage(images[repo], reg, `${repo}:1.0`);
    }));
    const sigstore = await MockSigstore.create();
    mockRoot = sigstore.trustedRoot;
    material = trustMaterialFromRoot(sigstore.trustedRoot);
    const keyA = newKeyPair();
    const keyB = newKeyPair();
    const attach = (repo: Repo, bundle: Buffer) => attachBundle(reg, repo, images[repo].digest, bundle);
    const signAs = (sub: string, repo: Repo) => sigstore.keyless({ iss: ISSUER, sub }, (s, w) => messageBundle(s, images[repo].bytes, w));
    const attestAs = (sub: string, repo: Repo, type: string, predicate: unknown) =>
      sigstore.keyless({ iss: ISSUER, sub }, (s, w) => dsseBundle(s, inTotoStatement(`${reg.host}/${repo}`, images[repo].digest, type, predicate), w));
    // Keyless signing one at a time (each uses the mock services' interceptions it registers).
    const bundles: [Repo, Buffer][] = [
      ['gha/signed', await signAs(ACME, 'gha/signed')],
      ['gha/mallory', await signAs(MALLORY, 'gha/mallory')],
      ['slsa/good', await attestAs(ACME, 'slsa/good', SLSA_PROVENANCE_V1, SLSA_V1_PREDICATE)],
      ['slsa/bad-builder', await attestAs(ACME, 'slsa/bad-builder', SLSA_PROVENANCE_V1, { ...SLSA_V1_PREDICATE, runDetails: { builder: { id: 'https://ci.mallory.example/builder' } } })],
      ['sbom/with-spdx', await attestAs(ACME, 'sbom/with-spdx', SPDX_DOCUMENT, SPDX_PREDICATE)],
      ['sbom/without', await attestAs(ACME, 'sbom/without', SLSA_PROVENANCE_V1, SLSA_V1_PREDICATE)],
      ['pc/signed', await signAs(ACME, 'pc/signed')],
      ['pc/mallory', await signAs(MALLORY, 'pc/mallory')],
    ];
    for (const [repo, b] of bundles) await attach(repo, b);
    const sig = (k: ReturnType<typeof newKeyPair>, repo: Repo) => cosignKeySignature(k.privateKey, `${reg.host}/${repo}`, images[repo].digest);
    await pushCosignSignatures(reg, 'two/both', images['two/both'].digest, [sig(keyA, 'two/both'), sig(keyB, 'two/both')]);
    await pushCosignSignatures(reg, 'two/one', images['two/one'].digest, [sig(keyA, 'two/one')]);
    await pushCosignSignatures(reg, 'two/unlogged', images['two/unlogged'].digest, [sig(keyA, 'two/unlogged')]);
    policyText = policies(reg.host, pem(keyA), pem(keyB));
    manifest = pods(reg.host, images);
    client = testRegistryClient({ reg });
  });
  after(async () => {
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Every admission result of the container image `fragment` (one reference must contain it). */
  async function admission(fragment: string): Promise<AdmissionResult[]> {
    const set = readAdmissionPolicies([{ file: '/ws/policies.yaml', text: policyText }]);
    assert.deepEqual(set.problems.filter((p) => p.severity === 'error'), []);
    const { refs } = analyzeText(manifest, 'kubernetes');
    const found = refs.filter((r) => r.text.includes(fragment));
    assert.equal(found.length, 1, `${found.length} references contain ${fragment}`);
    const ref = found[0];
    const resources = new ManifestResources(manifest);
    const resolution = ref.status === 'unpinned' ? await resolveReference(client, ref) : null;
    const outcome = await evaluateAdmission(ref, resources.at(ref.range.start), set, resolution, { reader: client, material, now: new Date() });
    assert.ok(outcome);
    return outcome.results;
  }
  const only = (rs: AdmissionResult[], policy: string) => {
    const m = rs.filter((r) => r.policy.endsWith(policy));
    assert.equal(m.length, 1, JSON.stringify(rs, null, 1));
    return m[0];
  };

  test('keyless GitHub Actions subject with a wildcard: the acme workflow is admitted', async () => {
    const r = only(await admission('/gha/signed@'), 'require-acme-signature');
    assert.equal(r.result, 'admitted', r.message);
    assert.equal(r.rule, 'verify-gha');
  });

  test('keyless: another identity is denied with the expected and the observed subject and issuer', async () => {
    const r = only(await admission('/gha/mallory@'), 'require-acme-signature');
    assert.equal(r.result, 'denied', r.message);
    assert.equal(r.reason, 'admission-identity-mismatch');
    assert.equal(r.expected, `subject https://github.com/acme/*, issuer ${ISSUER}`);
    assert.equal(r.observed, `subject ${MALLORY}, issuer ${ISSUER}`);
    assert.deepEqual(r.observedSigners, [{ subject: MALLORY, issuer: ISSUER }]);
  });

  test('mutateDigest: a tag that verifies is admitted, and admission rewrites it to the digest', async () => {
    const r = only(await admission('/gha/signed:1.0'), 'require-acme-signature');
    assert.equal(r.result, 'admitted', r.message);
    assert.equal(r.rewrite, `${reg.host}/gha/signed:1.0@${images['gha/signed'].digest}`);
  });

  test('SLSA provenance whose builder id meets the JMESPath condition: admitted', async () => {
    const r = only(await admission('/slsa/good@'), 'require-provenance');
    assert.equal(r.result, 'admitted', r.message);
  });

  test('SLSA provenance from another builder: denied, naming the condition and the value it saw', async () => {
    const r = only(await admission('/slsa/bad-builder@'), 'require-provenance');
    assert.equal(r.result, 'denied', r.message);
    assert.equal(r.reason, 'admission-condition-false');
    assert.equal(r.expected, '{{ runDetails.builder.id }} Equals https://github.com/actions/runner/github-hosted');
    assert.equal(r.observed, 'the expression\'s value: "https://ci.mallory.example/builder"');
  });

  test('SPDX SBOM attestation present: admitted; absent: denied, listing the types present', async () => {
    assert.equal(only(await admission('/sbom/with-spdx@'), 'require-provenance').result, 'admitted');
    const r = only(await admission('/sbom/without@'), 'require-provenance');
    assert.equal(r.result, 'denied', r.message);
    assert.equal(r.reason, 'admission-attestation-missing');
    assert.equal(r.observed, `attestation types present: ${SLSA_PROVENANCE_V1}`);
  });

  test('count 2 of two keys: both signatures admit; one signature is denied (1 of 2)', async () => {
    assert.equal(only(await admission('/two/both@'), 'two-person-rule').result, 'admitted');
    const r = only(await admission('/two/one@'), 'two-person-rule');
    assert.equal(r.result, 'denied', r.message);
    assert.equal(r.reason, 'admission-wrong-key');
    assert.match(r.message, /1 of 2 attestors verified, 2 required/);
  });

  test('a key signature without a Rekor entry, rekor.ignoreTlog not set: denied for the missing transparency-log entry', async () => {
    const r = only(await admission('/two/unlogged@'), 'two-person-rule');
    assert.equal(r.result, 'denied', r.message);
    assert.equal(r.reason, 'admission-no-tlog');
  });

  test('skipImageReferences: an unsigned skipped image is not checked by the rule; the same unsigned image elsewhere is denied', async () => {
    const skipped = only(await admission('/skip/unsigned@'), 'signed-unless-skipped');
    assert.equal(skipped.result, 'admitted');
    assert.match(skipped.message, /skipImageReferences/);
    const r = only(await admission('/other/unsigned@'), 'signed-unless-skipped');
    assert.equal(r.result, 'denied');
    assert.equal(r.reason, 'admission-no-signature');
  });

  test('a namespaced Policy (Audit): an audit violation in its namespace, nothing in another', async () => {
    const set = readAdmissionPolicies([{ file: '/ws/policies.yaml', text: policyText }]);
    const { refs } = analyzeText(manifest, 'kubernetes');
    const resources = new ManifestResources(manifest);
    const team = refs.filter((r) => r.text.includes('/team/unsigned:1.0'));
    assert.equal(team.length, 2);
    const results = await Promise.all(team.map(async (ref) => (await evaluateAdmission(ref, resources.at(ref.range.start), set, await resolveReference(client, ref), { reader: client, material, now: new Date() }))!));
    const [inA, inB] = results;
    assert.equal(inA.resource?.namespace, 'team-a');
    const r = inA.results.find((x) => x.policy === 'Policy/team-a/team-a-signed');
    assert.equal(r?.result, 'audit', JSON.stringify(inA.results));
    assert.equal(r?.reason, 'admission-no-signature');
    assert.equal(inB.results.find((x) => x.policy.includes('team-a-signed')), undefined);
  });

  test('policy-controller: a matching identity admits; another identity is denied (enforce)', async () => {
    const ok = only(await admission('/pc/signed@'), 'acme-keyless');
    assert.equal(ok.result, 'admitted', ok.message);
    assert.equal(ok.rule, 'acme-actions');
    const bad = only(await admission('/pc/mallory@'), 'acme-keyless');
    assert.equal(bad.result, 'denied', bad.message);
    assert.equal(bad.reason, 'admission-identity-mismatch');
    assert.equal(bad.observed, `subject ${MALLORY}, issuer ${ISSUER}`);
  });

  test('policy-controller: an image no ClusterImagePolicy matches follows no-match-policy from the ConfigMap (warn)', async () => {
    const rs = await admission('/pc/unmatched@');
    const r = rs.find((x) => x.engine === 'policy-controller')!;
    assert.equal(r.result, 'no-policy-matched');
    assert.equal(r.reason, 'admission-no-match');
    assert.match(r.message, /no-match-policy is warn/);
  });

  test('an unreachable registry is an error, never a pass or a denial', async () => {
    const rs = await admission('127.0.0.1:1/gha/unreachable');
    const r = only(rs, 'require-acme-signature');
    assert.equal(r.result, 'error', r.message);
    assert.equal(r.reason, 'admission-registry-error');
  });

  test('CLI: scan --admission reports admission[] per reference (JSON), admission-denied diagnostics, and SARIF, exit 1', async () => {
    const ws = path.join(dir, 'ws');
    mkdirSync(path.join(ws, 'policies'), { recursive: true });
    writeFileSync(path.join(ws, 'policies', 'kyverno.yaml'), policyText);
    // Without the pod on an unreachable registry (its connection attempts only slow the CLI runs down).
    writeFileSync(path.join(ws, 'pods.yaml'), manifest.split('---\n').filter((d) => !d.includes('127.0.0.1:1/')).join('---\n'));
    writeFileSync(path.join(ws, 'mock-root.json'), JSON.stringify(mockRoot));
    // The Sigstore deployment the cluster trusts: the trust policy's trustedRoot (here the mock Fulcio and Rekor).
    writeFileSync(path.join(ws, '.image-trust.yaml'), 'version: 1\ntrustedRoot: ./mock-root.json\n');
    const dockerConfig = await writeDockerConfig(path.join(dir, 'docker'), { [reg.host]: CREDS });
    // One cache directory per run: every run asks the registry itself.
    let runs = 0;
    const env = () => ({ DOCKER_CONFIG: dockerConfig, IMAGE_TRUST_CACHE_DIR: path.join(dir, `cache-${runs++}`) });
    const json = runCli(['scan', '--admission', '--format', 'json', '.'], { cwd: ws, env: env(), timeoutMs: 120_000 });
    assert.equal(json.status, 1, json.stderr);
    const out = JSON.parse(json.stdout) as { references: { text: string; admission?: { engine: string; policy: string; rule: string | null; result: string; reason: string | null; expected: string | null; observed: string | null }[] }[]; diagnostics: { code: string; severity: string; message: string; path: string }[] };
    const mallory = out.references.find((r) => r.text.includes('/gha/mallory@'))!;
    const kyverno = mallory.admission!.find((a) => a.policy === 'ClusterPolicy/require-acme-signature')!;
    assert.deepEqual({ ...kyverno }, { ...kyverno, engine: 'kyverno', rule: 'verify-gha', result: 'denied', reason: 'admission-identity-mismatch', expected: `subject https://github.com/acme/*, issuer ${ISSUER}`, observed: `subject ${MALLORY}, issuer ${ISSUER}` });
    const signed = out.references.find((r) => r.text.includes('/gha/signed@'))!;
    assert.equal(signed.admission!.find((a) => a.policy === 'ClusterPolicy/require-acme-signature')?.result, 'admitted');
    const denied = out.diagnostics.filter((d) => d.code === 'admission-denied');
    assert.ok(denied.some((d) => d.severity === 'error' && d.message.includes('[admission-identity-mismatch]') && d.message.includes('Kyverno ClusterPolicy/require-acme-signature, rule verify-gha')), JSON.stringify(denied, null, 1));
    assert.ok(out.diagnostics.some((d) => d.code === 'admission-audit' && d.message.includes('team-a-signed')));
    const sarif = runCli(['scan', '--admission', '--format', 'sarif', '.'], { cwd: ws, env: env(), timeoutMs: 120_000 });
    assert.ok((JSON.parse(sarif.stdout) as { runs: { results: { ruleId: string }[] }[] }).runs[0].results.some((r) => r.ruleId === 'admission-denied'));
    // Markdown (a pull-request comment): each admission row carries engine, policy, rule and the reason. (It once
    // "hung" here: the test bed piped the registry's log to this process, blocked in spawnSync, so after the JSON
    // and SARIF runs the full pipe stalled the registry mid-request; the log now goes to a file.)
    const md = runCli(['scan', '--admission', '--format', 'markdown', '.'], { cwd: ws, env: env(), timeoutMs: 120_000 });
    assert.equal(md.status, 1, md.stderr);
    const row = md.stdout.split('\n').find((l) => l.includes('/gha/mallory@') && l.includes('`admission-denied`'));
    assert.ok(row, md.stdout);
    assert.match(row, /Kyverno ClusterPolicy\/require-acme-signature, rule verify-gha/);
    assert.match(row, /admission-identity-mismatch/);
    assert.ok(row.includes(escapeMarkdown(`observed subject ${MALLORY}`)), row);
    // Without --admission nothing admission-related is reported.
    const plain = runCli(['scan', '--format', 'json', '.'], { cwd: ws, env: env(), timeoutMs: 120_000 });
    assert.ok(!plain.stdout.includes('admission'));
  });
});
