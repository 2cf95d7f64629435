// New Sigstore bundles (made with @sigstore/sign: local keys, and keyless through @sigstore/mock's Fulcio and Rekor)
// attached to images as OCI referrers with @sigstore/oci, on a real registry that needs credentials and has no
// referrers API (distribution 2.8: the referrers tag-schema fallback is used). Verified through the core and the CLI.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RegistryClient } from '../../server/src/core/registry';
import { NOTATION_UNVERIFIED_REASON } from '../../server/src/core/trust';
import { makeNotationPki, notationJws } from '../support/notation-signing';
import { buildImage, pushImage, startRegistry, writeDockerConfig, type ImageLayout, type TestRegistry } from '../support/registry';
import {
  attachBundle,
  attachNotationSignature,
  dsseBundle,
  inTotoStatement,
  keySigner,
  messageBundle,
  MockSigstore,
  newKeyPair,
  podManifest,
  publicKeyPem,
  scanVerify,
  SLSA_PROVENANCE_V1,
  SLSA_V1_PREDICATE,
  SPDX_DOCUMENT,
  SPDX_PREDICATE,
  testRegistryClient,
  verifyOne,
  type VerifyScan,
} from '../support/signing';
import { requireRegistryTools } from '../support/requirements';

const { skip } = requireRegistryTools();
const CREDS = { user: 'signer', pass: 'Sigstore-test-pass' };
const ISSUER = 'https://token.actions.githubusercontent.com';
const IDENTITY = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';
const OTHER_DIGEST = `sha256:${'ab'.repeat(32)}`;

const REPOS = [
  'sig/key-trusted',
  'sig/key-unlogged',
  'sig/key-untrusted',
  'sig/keyless',
  'sig/keyless-wrong-id',
  'sig/keyless-wrong-issuer',
  'sig/attested',
  'sig/attested-none',
  'sig/attested-other',
  'sig/notation',
  'sig/notation-signed',
  'sig/notation-other',
] as const;
type Repo = (typeof REPOS)[number];

function policyText(host: string, withTrustedRoot: boolean): string {
  return [
    'version: 1',
    ...(withTrustedRoot ? ['trustedRoot: ./mock-trusted-root.json'] : []),
    'rules:',
    '  - name: keys',
    `    match: ["${host}/sig/key-*", "${host}/sig/notation"]`,
    '    mode: enforce',
    '    signers: [{ key: ./trusted.pub }]',
    '  - name: keyless',
    `    match: "${host}/sig/keyless*"`,
    '    mode: enforce',
    `    signers: [{ keyless: { issuer: "${ISSUER}", subject: "${IDENTITY}" } }]`,
    '  - name: notation',
    `    match: ["${host}/sig/notation-signed", "${host}/sig/notation-other"]`,
    '    mode: enforce',
    '    signers: [{ notation: { certificate: ./notation-root.pem } }]',
    '  - name: attested',
    `    match: "${host}/sig/attested*"`,
    '    mode: enforce',
    // The attestation bundles are not logged; this rule is about attestations, so its key accepts that.
    '    signers: [{ key: ./trusted.pub, tlog: false }]',
    '    attestations:',
    `      - predicateType: ${SLSA_PROVENANCE_V1}`,
    '',
  ].join('\n');
}

describe('Sigstore bundles attached as OCI referrers, through a real registry with auth', { skip }, () => {
  let reg: TestRegistry;
  let dir: string;
  let policyPath: string;
  let publicGoodPolicyPath: string;
  let client: RegistryClient;
  const images = {} as Record<Repo, ImageLayout>;
  const ref = (repo: Repo) => `${reg.host}/${repo}@${images[repo].digest}`;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'image-trust-verify-sigstore-'));
    reg = await startRegistry({ auth: CREDS });
    await Promise.all(REPOS.map(async (repo) => {
      images[repo] = await buildImage(path.join(dir, 'layouts', repo), { seed: repo });
      await pushImage(images[repo], reg, `${repo}:1.0`);
    }));

    const trusted = newKeyPair();
    const stranger = newKeyPair();
    const sigstore = await MockSigstore.create();
    const keyless = (claims: Record<string, string>, repo: Repo) =>
      sigstore.keyless(claims, (signer, witnesses) => messageBundle(signer, images[repo].bytes, witnesses));
    const statement = (repo: Repo, subject: string, predicateType: string, predicate: unknown) =>
      inTotoStatement(`${reg.host}/${repo}`, subject, predicateType, predicate);
    const attach = (repo: Repo, bundle: Buffer) => attachBundle(reg, repo, images[repo].digest, bundle);

    const signer = keySigner(trusted);
    const notationPki = makeNotationPki('ec', 'Acme Release');
    const otherNotationPki = makeNotationPki('rsa', 'Mallory');
    // Keyless and logged bundles one at a time: each signing consumes the mock services' interceptions it registered.
    // The trusted key's signature is logged in the mock Rekor (cosign's default), so the default key signer takes it.
    const loggedKeyBundle = await sigstore.logged((witnesses) => messageBundle(signer, images['sig/key-trusted'].bytes, witnesses));
    const keylessBundles = {
      'sig/keyless': await keyless({ iss: ISSUER, sub: IDENTITY }, 'sig/keyless'),
      'sig/keyless-wrong-id': await keyless({ iss: ISSUER, sub: 'https://github.com/mallory/app/.github/workflows/x.yml@refs/heads/main' }, 'sig/keyless-wrong-id'),
      'sig/keyless-wrong-issuer': await keyless({ iss: 'https://accounts.example.com', sub: IDENTITY }, 'sig/keyless-wrong-issuer'),
    };
    // One repository per task: attaching rewrites the repository's referrers index, so attachments to the same
    // image are sequential; different images proceed in parallel.
    await Promise.all([
      // Message signatures over the exact manifest bytes, as `cosign sign` with the new bundle format writes them.
      attach('sig/key-trusted', loggedKeyBundle),
      // The same key without a transparency-log entry: the `keys` rule does not say `tlog: false`.
      (async () => attach('sig/key-unlogged', await messageBundle(signer, images['sig/key-unlogged'].bytes)))(),
      (async () => attach('sig/key-untrusted', await messageBundle(keySigner(stranger), images['sig/key-untrusted'].bytes)))(),
      ...Object.entries(keylessBundles).map(([repo, bundle]) => attach(repo as Repo, bundle)),
      (async () => attach('sig/attested-none', await messageBundle(signer, images['sig/attested-none'].bytes)))(),
      // DSSE attestations: SLSA provenance v1 and SPDX about this image; SLSA provenance about another digest.
      (async () => {
        const digest = images['sig/attested'].digest;
        await attach('sig/attested', await messageBundle(signer, images['sig/attested'].bytes));
        await attach('sig/attested', await dsseBundle(signer, statement('sig/attested', digest, SLSA_PROVENANCE_V1, SLSA_V1_PREDICATE)));
        await attach('sig/attested', await dsseBundle(signer, statement('sig/attested', digest, SPDX_DOCUMENT, SPDX_PREDICATE)));
      })(),
      (async () => {
        await attach('sig/attested-other', await messageBundle(signer, images['sig/attested-other'].bytes));
        await attach('sig/attested-other', await dsseBundle(signer, statement('sig/attested-other', OTHER_DIGEST, SLSA_PROVENANCE_V1, SLSA_V1_PREDICATE)));
      })(),
      attachNotationSignature(reg, 'sig/notation', images['sig/notation'], notationJws(notationPki, { digest: images['sig/notation'].digest })),
      attachNotationSignature(reg, 'sig/notation-signed', images['sig/notation-signed'], notationJws(notationPki, { digest: images['sig/notation-signed'].digest })),
      attachNotationSignature(reg, 'sig/notation-other', images['sig/notation-other'], notationJws(otherNotationPki, { digest: images['sig/notation-other'].digest })),
    ]);
    writeFileSync(path.join(dir, 'notation-root.pem'), notationPki.rootPem);

    writeFileSync(path.join(dir, 'trusted.pub'), publicKeyPem(trusted.publicKey));
    writeFileSync(path.join(dir, 'mock-trusted-root.json'), JSON.stringify(sigstore.trustedRoot));
    policyPath = path.join(dir, 'policy.yaml');
    writeFileSync(policyPath, policyText(reg.host, true));
    publicGoodPolicyPath = path.join(dir, 'policy-public-good.yaml');
    writeFileSync(publicGoodPolicyPath, policyText(reg.host, false));
    client = testRegistryClient({ reg });
  });
  after(async () => {
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('core: discover → verify → status', () => {
    test('bundle signed by the trusted key and logged in Rekor: verified with its log entry, found through the referrers tag schema', async () => {
      const v = await verifyOne(client, ref('sig/key-trusted'), policyPath);
      assert.equal(v.trust?.status, 'verified', v.trust?.reason);
      assert.deepEqual(
        v.trust?.signatures.map((s) => ({ status: s.status, type: s.type, foundIn: s.foundIn, signer: s.signer, reason: s.reason })),
        [{ status: 'verified', type: 'sigstore-bundle', foundIn: 'referrers-tag-schema', signer: './trusted.pub', reason: 'Signature verified with key ./trusted.pub.' }],
      );
      assert.equal(typeof v.trust?.signatures[0].logIndex, 'number');
      assert.deepEqual(v.findings, []);
    });

    test('bundle signed by the trusted key without a log entry, key signer without `tlog: false`: untrusted → untrusted-signer', async () => {
      const v = await verifyOne(client, ref('sig/key-unlogged'), policyPath);
      assert.equal(v.trust?.status, 'untrusted', v.trust?.reason);
      assert.match(v.trust?.signatures[0].reason ?? '', /matches key \.\/trusted\.pub but has no transparency-log entry/);
      assert.deepEqual(v.findings.map((f) => [f.code, f.severity]), [['untrusted-signer', 'error']]);
    });

    test('bundle signed by a key the policy does not trust: untrusted → untrusted-signer', async () => {
      const v = await verifyOne(client, ref('sig/key-untrusted'), policyPath);
      assert.equal(v.trust?.status, 'untrusted', v.trust?.reason);
      assert.deepEqual(v.findings.map((f) => [f.code, f.severity]), [['untrusted-signer', 'error']]);
    });

    test('keyless bundle, right identity, policy trustedRoot = the mock root: verified with issuer and log entry', async () => {
      const v = await verifyOne(client, ref('sig/keyless'), policyPath);
      assert.equal(v.trust?.status, 'verified', v.trust?.reason);
      const [s] = v.trust!.signatures;
      assert.equal(s.issuer, ISSUER);
      assert.equal(typeof s.logIndex, 'number');
      assert.ok(s.integratedTime && Math.abs(s.integratedTime - Date.now() / 1000) < 600);
      assert.deepEqual(v.findings, []);
    });

    test('the same keyless bundle under the public-good root: not verified (its CA is not trusted there)', async () => {
      const v = await verifyOne(client, ref('sig/keyless'), publicGoodPolicyPath);
      assert.equal(v.trust?.status, 'untrusted', v.trust?.reason);
      assert.match(v.trust?.reason ?? '', /Certificate not trusted/);
      assert.deepEqual(v.findings.map((f) => f.code), ['untrusted-signer']);
    });

    test('keyless bundle by another identity, or from another issuer: untrusted → untrusted-signer', async () => {
      for (const repo of ['sig/keyless-wrong-id', 'sig/keyless-wrong-issuer'] as const) {
        const v = await verifyOne(client, ref(repo), policyPath);
        assert.equal(v.trust?.status, 'untrusted', `${repo}: ${v.trust?.reason}`);
        assert.match(v.trust?.reason ?? '', /does not trust/);
        assert.deepEqual(v.findings.map((f) => f.code), ['untrusted-signer'], repo);
      }
    });

    test('signature + SLSA provenance v1 + SPDX about this digest: verified, requirement met, summaries', async () => {
      const v = await verifyOne(client, ref('sig/attested'), policyPath);
      assert.equal(v.trust?.status, 'verified', v.trust?.reason);
      const byType = new Map(v.trust!.attestations.map((a) => [a.predicateType, a]));
      assert.deepEqual([...byType.keys()].sort(), [SLSA_PROVENANCE_V1, SPDX_DOCUMENT]);
      const slsa = byType.get(SLSA_PROVENANCE_V1)!;
      assert.equal(slsa.status, 'verified', slsa.reason);
      assert.equal(slsa.summary?.kind, 'slsa-provenance-v1');
      assert.equal(slsa.summary?.fields.builderId, 'https://github.com/actions/runner/github-hosted');
      assert.equal(slsa.summary?.fields.sourceCommit, 'c0ffee1234567890c0ffee1234567890c0ffee12');
      const spdx = byType.get(SPDX_DOCUMENT)!;
      assert.equal(spdx.status, 'verified', spdx.reason);
      assert.equal(spdx.summary?.fields.packageCount, 3);
      assert.deepEqual(v.findings, []);
    });

    test('signed, but the required provenance is missing: missing-attestation', async () => {
      const v = await verifyOne(client, ref('sig/attested-none'), policyPath);
      assert.equal(v.trust?.status, 'untrusted', v.trust?.reason);
      assert.equal(v.trust?.signatures[0].status, 'verified');
      assert.deepEqual(v.findings.map((f) => f.code), ['missing-attestation']);
      assert.match(v.findings[0].message, /slsa\.dev\/provenance\/v1/);
    });

    test('provenance whose subject is another digest: attestation invalid, requirement not met', async () => {
      const v = await verifyOne(client, ref('sig/attested-other'), policyPath);
      assert.equal(v.trust?.status, 'invalid', v.trust?.reason);
      const [att] = v.trust!.attestations;
      assert.equal(att.predicateType, SLSA_PROVENANCE_V1);
      assert.equal(att.status, 'invalid');
      assert.match(att.reason, /another artifact/);
      assert.deepEqual(v.findings.map((f) => [f.code, f.severity]), [['missing-attestation', 'error']]);
    });

    test('a Notation JWS chaining to the configured certificate: verified, signer = leaf CN', async () => {
      const v = await verifyOne(client, ref('sig/notation-signed'), policyPath);
      assert.equal(v.trust?.status, 'verified', v.trust?.reason);
      assert.deepEqual(
        v.trust?.signatures.map((s) => ({ type: s.type, status: s.status, signer: s.signer, foundIn: s.foundIn })),
        [{ type: 'notation', status: 'verified', signer: 'Acme Release Signer', foundIn: 'referrers-tag-schema' }],
      );
      assert.deepEqual(v.findings, []);
    });

    test('a Notation JWS by another CA: untrusted → untrusted-signer', async () => {
      const v = await verifyOne(client, ref('sig/notation-other'), policyPath);
      assert.equal(v.trust?.status, 'untrusted', v.trust?.reason);
      assert.match(v.trust?.signatures[0]?.reason ?? '', /does not lead to a configured Notation certificate/);
      assert.deepEqual(v.findings.map((f) => f.code), ['untrusted-signer']);
    });

    test('a Notation signature without a Notation certificate in the rule: reported as present, not verified', async () => {
      const v = await verifyOne(client, ref('sig/notation'), policyPath);
      assert.equal(v.trust?.status, 'untrusted', v.trust?.reason);
      assert.deepEqual(
        v.trust?.signatures.map((s) => ({ type: s.type, status: s.status, reason: s.reason, foundIn: s.foundIn })),
        [{ type: 'notation', status: 'untrusted', reason: NOTATION_UNVERIFIED_REASON, foundIn: 'referrers-tag-schema' }],
      );
      assert.match(NOTATION_UNVERIFIED_REASON, /^Notation signature present, not verified/);
      assert.deepEqual(v.findings.map((f) => f.code), ['untrusted-signer']);
    });

    test('without credentials the registry refuses: error, never unsigned', async () => {
      const anonymous = testRegistryClient();
      const v = await verifyOne(anonymous, ref('sig/key-trusted'), policyPath);
      assert.equal(v.trust?.status, 'error', v.trust?.reason);
      assert.deepEqual(v.findings.map((f) => f.code), ['verify-failed']);
    });
  });

  describe('CLI: image-trust scan --verify --format json, credentials from DOCKER_CONFIG', () => {
    let scan: VerifyScan;
    before(async () => {
      const dockerConfig = await writeDockerConfig(path.join(dir, 'docker'), { [reg.host]: CREDS });
      writeFileSync(path.join(dir, 'pod.yaml'), podManifest(REPOS.map(ref)));
      scan = scanVerify(['pod.yaml', '--policy', policyPath, '--cache-dir', path.join(dir, 'cache')], { cwd: dir, env: { DOCKER_CONFIG: dockerConfig } });
    });

    test('trust status per reference', () => {
      const expected: Record<Repo, string> = {
        'sig/key-trusted': 'verified',
        'sig/key-unlogged': 'untrusted',
        'sig/key-untrusted': 'untrusted',
        'sig/keyless': 'verified',
        'sig/keyless-wrong-id': 'untrusted',
        'sig/keyless-wrong-issuer': 'untrusted',
        'sig/attested': 'verified',
        'sig/attested-none': 'untrusted',
        'sig/attested-other': 'invalid',
        'sig/notation': 'untrusted',
        'sig/notation-signed': 'verified',
        'sig/notation-other': 'untrusted',
      };
      for (const repo of REPOS) {
        const r = scan.ref(`${repo}@`);
        assert.equal(r.trust?.status, expected[repo], `${repo}: ${r.trust?.reason}`);
        assert.equal(r.trust?.digest, images[repo].digest);
      }
    });

    test('signatures[], attestations[] and policy of a verified, attested reference', () => {
      const r = scan.ref('sig/attested@');
      assert.deepEqual(r.policy, { rule: 'attested', mode: 'enforce', exception: null });
      assert.deepEqual(r.signatures.map((s) => [s.status, s.type, s.foundIn, s.signer]), [['verified', 'sigstore-bundle', 'referrers-tag-schema', './trusted.pub']]);
      assert.equal(r.signatures[0].reason, 'Signature verified with key ./trusted.pub; no transparency-log entry (allowed by policy).');
      const slsa = r.attestations.find((a) => a.predicateType === SLSA_PROVENANCE_V1);
      assert.equal(slsa?.status, 'verified');
      assert.match(slsa?.summary ?? '', /^SLSA provenance v1: built by https:\/\/github\.com\/actions\/runner\/github-hosted from https:\/\/github\.com\/acme\/app@c0ffee123456/);
      assert.match(r.attestations.find((a) => a.predicateType === SPDX_DOCUMENT)?.summary ?? '', /SPDX-2\.3.*3 package/);
      const keyless = scan.ref('sig/keyless@').signatures[0];
      assert.deepEqual([keyless.status, keyless.issuer, keyless.signer !== null], ['verified', ISSUER, true]);
      const notation = scan.ref('sig/notation@').signatures[0];
      assert.deepEqual([notation.type, notation.status, notation.reason], ['notation', 'untrusted', NOTATION_UNVERIFIED_REASON]);
    });

    test('findings per reference and exit 1 (enforce)', () => {
      const codes = (repo: Repo) => scan.findingsOf(`${repo}@`).map((d) => `${d.severity}:${d.code}`);
      assert.deepEqual(codes('sig/key-trusted'), []);
      assert.deepEqual(codes('sig/keyless'), []);
      assert.deepEqual(codes('sig/attested'), []);
      assert.deepEqual(codes('sig/key-untrusted'), ['error:untrusted-signer']);
      assert.deepEqual(codes('sig/key-unlogged'), ['error:untrusted-signer']);
      assert.deepEqual(codes('sig/keyless-wrong-id'), ['error:untrusted-signer']);
      assert.deepEqual(codes('sig/keyless-wrong-issuer'), ['error:untrusted-signer']);
      assert.deepEqual(codes('sig/attested-none'), ['error:missing-attestation']);
      assert.deepEqual(codes('sig/attested-other'), ['error:missing-attestation']);
      assert.deepEqual(codes('sig/notation'), ['error:untrusted-signer']);
      assert.equal(scan.status, 1, scan.stderr);
    });

    test('without credentials (empty DOCKER_CONFIG): verify-failed, never unsigned or verified', async () => {
      const empty = await writeDockerConfig(path.join(dir, 'docker-empty'), {});
      const r = scanVerify(['pod.yaml', '--policy', policyPath, '--cache-dir', path.join(dir, 'cache-anon')], { cwd: dir, env: { DOCKER_CONFIG: empty } });
      for (const x of r.references) {
        assert.notEqual(x.trust?.status, 'unsigned', x.text);
        assert.notEqual(x.trust?.status, 'verified', x.text);
      }
      assert.ok(r.diagnostics.every((d) => d.code !== 'unsigned'));
      assert.deepEqual(r.findingsOf('sig/key-trusted@').filter((d) => d.code === 'verify-failed').map((d) => d.severity), ['error']);
      assert.equal(r.status, 1);
    });
  });
});
