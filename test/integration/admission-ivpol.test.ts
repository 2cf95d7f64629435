// Kyverno ImageValidatingPolicy (policies.kyverno.io, CEL) in the admission preview, against the real registry test bed
// with real keyless signatures and attestations (@sigstore/mock's Fulcio and Rekor): verifyImageSignatures with a
// keyless attestor, verifyAttestationSignatures + extractPayload on an SLSA predicate (Audit), glob and CEL
// matchImageReferences, mutateDigest's rewrite, verifyDigest without it, and what is "not evaluated" (a KMS key, an
// unknown CEL function) — never admitted.
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
import { runCli } from '../support/cli';
import { buildImage, pushImage, startRegistry, writeDockerConfig, type ImageLayout, type TestRegistry } from '../support/registry';
import { attachBundle, dsseBundle, inTotoStatement, messageBundle, MockSigstore, SLSA_PROVENANCE_V1, SLSA_V1_PREDICATE, testRegistryClient } from '../support/signing';
import { requireRegistryTools } from '../support/requirements';

const { skip } = requireRegistryTools();
const CREDS = { user: 'ivpol', pass: 'Ivpol-test-pass' };
const ISSUER = 'https://token.actions.githubusercontent.com';
const ACME = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';
const MALLORY = 'https://github.com/mallory/app/.github/workflows/release.yml@refs/heads/main';
const REPOS = ['iv/sig/signed', 'iv/sig/mallory', 'iv/att/good', 'iv/att/bad', 'iv/nodigest/signed', 'iv/kms/app', 'iv/fn/app'] as const;
type Repo = (typeof REPOS)[number];

function policies(host: string): string {
  const keyless = `{ name: acme, cosign: { keyless: { identities: [{ issuer: "${ISSUER}", subjectRegExp: "^https://github\\\\.com/acme/" }] } } }`;
  return `apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata: { name: signed-by-acme }
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules: [{ apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods] }]
  matchImageReferences:
    - glob: "${host}/iv/sig/*"
  attestors: [${keyless}]
  validations:
    - expression: >-
        images.containers.map(image, verifyImageSignatures(image, [attestors.acme])).all(e, e > 0)
      message: failed the image signature verification
---
apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata: { name: github-hosted-builds }
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules: [{ apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods] }]
  matchImageReferences:
    - expression: "ref.startsWith('${host}/iv/att/')"
  attestors: [${keyless}]
  attestations: [{ name: slsa, intoto: { type: "${SLSA_PROVENANCE_V1}" } }]
  validations:
    - expression: >-
        images.containers.map(image, verifyAttestationSignatures(image, attestations.slsa, [attestors.acme])).all(e, e > 0)
      message: no verified SLSA provenance
    - expression: >-
        images.containers.all(image, extractPayload(image, attestations.slsa).runDetails.builder.id == 'https://github.com/actions/runner/github-hosted')
      messageExpression: "'built outside GitHub-hosted runners: ' + images.containers.map(i, extractPayload(i, attestations.slsa).runDetails.builder.id).join(', ')"
---
apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata: { name: digests-required }
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules: [{ apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods] }]
  matchImageReferences: [{ glob: "${host}/iv/nodigest/*" }]
  validationConfigurations: { mutateDigest: false }
  attestors: [${keyless}]
  validations:
    - expression: "images.containers.all(image, verifyImageSignatures(image, [attestors.acme]) > 0)"
---
apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata: { name: kms-key }
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules: [{ apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods] }]
  matchImageReferences: [{ glob: "${host}/iv/kms/*" }]
  attestors: [{ name: kms, cosign: { key: { kms: "awskms:///arn:aws:kms:us-east-1:1:key/x" } } }]
  validations:
    - expression: "images.containers.all(image, verifyImageSignatures(image, [attestors.kms]) > 0)"
---
apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata: { name: unknown-function }
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules: [{ apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods] }]
  matchImageReferences: [{ glob: "${host}/iv/fn/*" }]
  attestors: [${keyless}]
  validations:
    - expression: "images.containers.all(image, getImageData(image).config.config.User != 'root')"
`;
}

describe('admission preview: Kyverno ImageValidatingPolicy (CEL) on a real registry', { skip }, () => {
  let reg: TestRegistry;
  let dir: string;
  let client: RegistryClient;
  let material: AdmissionEnv['material'];
  const images = {} as Record<Repo, ImageLayout>;
  let manifest: string;
  let policyText: string;
  let mockRoot: unknown;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'image-trust-ivpol-'));
    reg = await startRegistry({ auth: CREDS });
    for (const repo of REPOS) {
      images[repo] = await buildImage(path.join(dir, 'layouts', repo), { seed: `ivpol-${repo}` });
      await pushImage(images[repo], reg, `${repo}:1.0`);
    }
    const sigstore = await MockSigstore.create();
    material = trustMaterialFromRoot(sigstore.trustedRoot);
    mockRoot = sigstore.trustedRoot;
    const sign = async (sub: string, repo: Repo) => attachBundle(reg, repo, images[repo].digest, await sigstore.keyless({ iss: ISSUER, sub }, (s, w) => messageBundle(s, images[repo].bytes, w)));
    const attest = async (repo: Repo, predicate: unknown) =>
      attachBundle(reg, repo, images[repo].digest, await sigstore.keyless({ iss: ISSUER, sub: ACME }, (s, w) => dsseBundle(s, inTotoStatement(`${reg.host}/${repo}`, images[repo].digest, SLSA_PROVENANCE_V1, predicate), w)));
    await sign(ACME, 'iv/sig/signed');
    await sign(MALLORY, 'iv/sig/mallory');
    await sign(ACME, 'iv/nodigest/signed');
    await sign(ACME, 'iv/kms/app');
    await sign(ACME, 'iv/fn/app');
    await attest('iv/att/good', SLSA_V1_PREDICATE);
    await attest('iv/att/bad', { ...SLSA_V1_PREDICATE, runDetails: { builder: { id: 'https://ci.mallory.example/builder' } } });
    policyText = policies(reg.host);
    const pod = (name: string, image: string) => `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name}, namespace: apps }\nspec:\n  containers:\n    - name: c\n      image: "${image}"\n`;
    const at = (r: Repo) => `${reg.host}/${r}@${images[r].digest}`;
    manifest = [
      ...REPOS.map((r) => pod(r.replace(/\//g, '-'), at(r))),
      pod('tagged', `${reg.host}/iv/sig/signed:1.0`),
      pod('tagged-nodigest', `${reg.host}/iv/nodigest/signed:1.0`),
      // A Deployment: the Pod policy covers it through autogen.
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web, namespace: apps }\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          image: "${reg.host}/iv/sig/mallory@${images['iv/sig/mallory'].digest}"\n`,
    ].join('---\n');
    client = testRegistryClient({ reg });
  });
  after(async () => {
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function admission(fragment: string, nth = 0): Promise<AdmissionResult[]> {
    const set = readAdmissionPolicies([{ file: '/ws/policies.yaml', text: policyText }]);
    assert.deepEqual(set.problems.filter((p) => p.severity === 'error'), []);
    const { refs } = analyzeText(manifest, 'kubernetes');
    const found = refs.filter((r) => r.text.includes(fragment));
    const ref = found[nth];
    assert.ok(ref, `no reference contains ${fragment}`);
    const resources = new ManifestResources(manifest);
    const resolution = ref.status === 'unpinned' ? await resolveReference(client, ref) : null;
    const outcome = await evaluateAdmission(ref, resources.at(ref.range.start), set, resolution, { reader: client, material, now: new Date() }, resources.objectAt(ref.range.start));
    assert.ok(outcome);
    return outcome.results;
  }
  const only = (rs: AdmissionResult[], name: string) => {
    const m = rs.filter((r) => r.policy === `ImageValidatingPolicy/${name}`);
    assert.equal(m.length, 1, JSON.stringify(rs, null, 1));
    return m[0];
  };

  test('verifyImageSignatures with a keyless attestor: the acme workflow is admitted; other policies say nothing', async () => {
    const rs = await admission('/iv/sig/signed@');
    assert.equal(only(rs, 'signed-by-acme').result, 'admitted', JSON.stringify(rs));
    assert.equal(rs.length, 1, 'matchImageReferences: only the policy for iv/sig/* concerns it');
  });

  test('another identity: denied with the validation message, the call that returned 0, expected and observed identities', async () => {
    const r = only(await admission('/iv/sig/mallory@'), 'signed-by-acme');
    assert.equal(r.result, 'denied', r.message);
    assert.equal(r.reason, 'admission-identity-mismatch');
    assert.match(r.message, /^denied \(validations\[0\]\): failed the image signature verification — verifyImageSignatures\(.*\/iv\/sig\/mallory@sha256:[0-9a-f]{64}, \[attestors\.acme\]\) = 0: /);
    assert.equal(r.observed, `subject ${MALLORY}, issuer ${ISSUER}`);
    assert.deepEqual(r.observedSigners, [{ subject: MALLORY, issuer: ISSUER }]);
  });

  test('a Deployment is covered through autogen and denied the same way', async () => {
    const r = only(await admission('/iv/sig/mallory@', 1), 'signed-by-acme');
    assert.equal(r.result, 'denied');
    assert.equal(r.reason, 'admission-identity-mismatch');
  });

  test('mutateDigest (default): a tag is verified as admission rewrites it, and the rewrite is said', async () => {
    const r = only(await admission('/iv/sig/signed:1.0'), 'signed-by-acme');
    assert.equal(r.result, 'admitted', r.message);
    assert.equal(r.rewrite, `${reg.host}/iv/sig/signed:1.0@${images['iv/sig/signed'].digest}`);
  });

  test('verifyDigest without mutateDigest: a tag is denied for the missing digest', async () => {
    const r = only(await admission('/iv/nodigest/signed:1.0'), 'digests-required');
    assert.equal(r.result, 'denied');
    assert.equal(r.reason, 'admission-digest-required');
    assert.equal(only(await admission('/iv/nodigest/signed@'), 'digests-required').result, 'admitted');
  });

  test('verifyAttestationSignatures + extractPayload (Audit): a GitHub-hosted build passes; another builder is an audit violation naming it', async () => {
    assert.equal(only(await admission('/iv/att/good@'), 'github-hosted-builds').result, 'admitted');
    const r = only(await admission('/iv/att/bad@'), 'github-hosted-builds');
    assert.equal(r.result, 'audit', r.message);
    assert.equal(r.reason, 'admission-condition-false');
    assert.equal(r.message, 'audit violation (validations[1]): built outside GitHub-hosted runners: https://ci.mallory.example/builder');
    assert.match(r.expected ?? '', /extractPayload\(image, attestations\.slsa\)\.runDetails\.builder\.id == 'https:\/\/github\.com\/actions\/runner\/github-hosted'/);
  });

  test('not evaluated, never admitted: a KMS key attestor, an unknown CEL function', async () => {
    const kms = only(await admission('/iv/kms/app@'), 'kms-key');
    assert.equal(kms.result, 'not-evaluated');
    assert.match(kms.message, /KMS/);
    const fn = only(await admission('/iv/fn/app@'), 'unknown-function');
    assert.equal(fn.result, 'not-evaluated');
    assert.match(fn.message, /getImageData/);
  });

  test('CLI: scan --admission carries the ImageValidatingPolicy results (JSON admission[], admission-denied, not-evaluated)', async () => {
    const ws = path.join(dir, 'ws');
    mkdirSync(ws, { recursive: true });
    writeFileSync(path.join(ws, 'policies.yaml'), policyText);
    writeFileSync(path.join(ws, 'pods.yaml'), manifest);
    writeFileSync(path.join(ws, 'mock-root.json'), JSON.stringify(mockRoot));
    writeFileSync(path.join(ws, '.image-trust.yaml'), 'version: 1\ntrustedRoot: ./mock-root.json\n');
    const docker = await writeDockerConfig(path.join(dir, 'docker'), { [reg.host]: CREDS });
    const r = runCli(['scan', '--admission', '--format', 'json', '.'], { cwd: ws, env: { DOCKER_CONFIG: docker, IMAGE_TRUST_CACHE_DIR: path.join(dir, 'cache-cli') }, timeoutMs: 120_000 });
    assert.equal(r.status, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { references: { text: string; admission?: { policy: string; result: string; reason: string | null }[] }[]; diagnostics: { code: string; message: string }[] };
    const of = (fragment: string) => out.references.find((x) => x.text.includes(fragment))!.admission!.map((a) => [a.policy, a.result, a.reason]);
    assert.deepEqual(of('/iv/sig/signed@'), [['ImageValidatingPolicy/signed-by-acme', 'admitted', null]]);
    assert.deepEqual(of('/iv/sig/mallory@'), [['ImageValidatingPolicy/signed-by-acme', 'denied', 'admission-identity-mismatch']]);
    assert.deepEqual(of('/iv/att/bad@'), [['ImageValidatingPolicy/github-hosted-builds', 'audit', 'admission-condition-false']]);
    assert.deepEqual(of('/iv/kms/app@'), [['ImageValidatingPolicy/kms-key', 'not-evaluated', 'admission-not-evaluated']]);
    assert.ok(out.diagnostics.some((d) => d.code === 'admission-denied' && d.message.includes('Kyverno ImageValidatingPolicy/signed-by-acme')));
    assert.ok(out.diagnostics.some((d) => d.code === 'admission-not-evaluated' && /Attestor kms: the key is in a KMS/.test(d.message)), 'the policy file itself says what is not evaluated');
  });

  test('an unreachable registry is an error, never a pass or a denial', async () => {
    const set = readAdmissionPolicies([{ file: '/ws/policies.yaml', text: policyText.replaceAll(reg.host, '127.0.0.1:1') }]);
    const text = `apiVersion: v1\nkind: Pod\nmetadata: { name: x, namespace: apps }\nspec:\n  containers:\n    - name: c\n      image: "127.0.0.1:1/iv/sig/app@${images['iv/sig/signed'].digest}"\n`;
    const ref = analyzeText(text, 'kubernetes').refs[0];
    const resources = new ManifestResources(text);
    const outcome = await evaluateAdmission(ref, resources.at(ref.range.start), set, null, { reader: client, material, now: new Date() }, resources.objectAt(ref.range.start));
    const r = outcome!.results.find((x) => x.policy === 'ImageValidatingPolicy/signed-by-acme')!;
    assert.equal(r.result, 'error', r.message);
    assert.equal(r.reason, 'admission-registry-error');
  });
});
