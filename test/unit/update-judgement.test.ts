// core/update.ts, the pure part: durations, ages from claimed creation times, the SBOM package diff, and the
// judgement of one candidate from both sides. How could an update be accepted when it should not? Each gate is
// tested for the case that must refuse: another signer, a pin without a verified signer, an unverified candidate,
// an unknown or implausible age under a minimum age, another kind or platform.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DigestTrust, SignatureResult } from '../../server/src/core/trust';
import type { AttestationResult } from '../../server/src/core/trust/status';
import { summarizeAttestation } from '../../server/src/core/trust/attestations';
import {
  ageOf,
  describeAge,
  diffSboms,
  editorUpdateOptions,
  formatDuration,
  imageSide,
  judgeUpdate,
  parseMinAge,
  updateTitle,
  type ImageDescription,
  type UpdateCandidate,
} from '../../server/src/core/update';
import type { ReferenceVerification } from '../../server/src/core/verification';

const NOW = new Date('2026-03-01T12:00:00Z');
const DAY = 86_400_000;
const D = (c: string) => `sha256:${c.repeat(64)}`;
const daysAgo = (n: number) => new Date(NOW.getTime() - n * DAY).toISOString();

const KEY_A = { kind: 'key' as const, keyId: 'a'.repeat(64) };
const KEY_B = { kind: 'key' as const, keyId: 'b'.repeat(64) };

function sig(identity: SignatureResult['identity'], status: SignatureResult['status'] = 'verified'): SignatureResult {
  return { status, type: 'sigstore-bundle', foundIn: 'referrers-tag-schema', signer: 'keys/x.pub', ...(identity ? { identity } : {}), reason: status };
}

function att(predicateType: string, predicate: unknown, status: AttestationResult['status'] = 'verified'): AttestationResult {
  return { status, type: 'sigstore-bundle', foundIn: 'referrers-tag-schema', predicateType, summary: summarizeAttestation(predicateType, predicate), reason: status };
}

function verification(digest: string, status: DigestTrust['status'], signatures: SignatureResult[], attestations: AttestationResult[] = [], policy: Partial<ReferenceVerification['policy']> = {}): ReferenceVerification {
  return {
    digest,
    trust: { digest, status, signatures, attestations, reason: status === 'verified' ? 'Signed by keys/x.pub.' : `not verified (${status})` },
    policy: { rule: 'prod', mode: 'enforce', exception: null, ...policy },
    findings: [],
  };
}

function manifest(digest: string, created?: string, platform = { os: 'linux', architecture: 'amd64' }): ImageDescription {
  return { digest, kind: 'manifest', mediaType: 'application/vnd.oci.image.manifest.v1+json', platform, claims: created ? [{ source: 'config created', value: created }] : [] };
}

const OLD = D('1');
const NEW = D('2');
const opts = { allowSignerChange: false };

describe('durations', () => {
  test('--min-age takes minutes, hours, days, weeks, or 0; anything else is refused', () => {
    assert.equal(parseMinAge('7d'), 7 * DAY);
    assert.equal(parseMinAge('12h'), 12 * 3_600_000);
    assert.equal(parseMinAge('30m'), 30 * 60_000);
    assert.equal(parseMinAge('2w'), 14 * DAY);
    assert.equal(parseMinAge('0'), 0);
    for (const bad of ['', '7', 'd', '-1d', '1.5d', '7days', '7 d', '1y']) assert.equal(parseMinAge(bad), undefined, bad);
  });

  test('formatDuration', () => {
    assert.equal(formatDuration(45 * 60_000), '45 min');
    assert.equal(formatDuration(5 * 3_600_000), '5 hours');
    assert.equal(formatDuration(12 * DAY + 3_600_000), '12 days');
  });
});

describe('ageOf: the youngest plausible claimed time', () => {
  test('one config created time: the age and its source', () => {
    const a = ageOf([{ source: 'config created', value: daysAgo(12) }], NOW);
    assert.equal(a.ageMs, 12 * DAY);
    assert.equal(a.source, 'config created');
    assert.equal(describeAge(a), `12 days old (config created ${daysAgo(12)})`);
  });

  test('several sources: the youngest counts, so one old-looking field cannot make a new image look old', () => {
    const a = ageOf([
      { source: 'config created', value: daysAgo(300) },
      { source: 'annotation org.opencontainers.image.created', value: daysAgo(2) },
      { source: 'provenance build finished', value: daysAgo(3) },
    ], NOW);
    assert.equal(a.source, 'annotation org.opencontainers.image.created');
    assert.equal(a.ageMs, 2 * DAY);
  });

  test('1970 (reproducible builds), 1980, the future and non-RFC-3339 text are unknown, each stated', () => {
    const a = ageOf([
      { source: 'config created', value: '1970-01-01T00:00:00Z' },
      { source: 'annotation org.opencontainers.image.created', value: '1980-01-01T00:00:01Z' },
      { source: 'provenance build finished', value: new Date(NOW.getTime() + 3 * DAY).toISOString() },
      { source: 'config created (linux/arm64)', value: 'yesterday' },
    ], NOW);
    assert.equal(a.ageMs, null);
    assert.deepEqual(a.sources.map((s) => s.note), [
      'implausible: before 2013 (a placeholder, such as the 1970 of reproducible builds)',
      'implausible: before 2013 (a placeholder, such as the 1970 of reproducible builds)',
      'implausible: in the future',
      'not an RFC 3339 time',
    ]);
    assert.match(describeAge(a), /^age unknown \(config created 1970-01-01T00:00:00Z: implausible: before 2013/);
  });

  test('an implausible source next to a plausible one: the plausible one decides', () => {
    const a = ageOf([{ source: 'config created', value: '1970-01-01T00:00:00Z' }, { source: 'provenance build finished', value: daysAgo(9) }], NOW);
    assert.equal(a.source, 'provenance build finished');
    assert.equal(a.ageMs, 9 * DAY);
  });

  test('no source at all: unknown, and the sentence names the three sources looked for', () => {
    assert.equal(describeAge(ageOf([], NOW)), 'age unknown (no creation time: no config created, no org.opencontainers.image.created annotation, no verified provenance with a build finish time)');
  });
});

describe('diffSboms', () => {
  const sbom = (packages: { name: string; version?: string }[]) => ({ format: 'SPDX-2.3', kind: 'spdx' as const, packages, truncated: false });

  test('added, removed and version changes, each sorted by name, with the total', () => {
    const d = diffSboms(
      sbom([{ name: 'openssl', version: '3.0.1' }, { name: 'zlib', version: '1.2.13' }, { name: 'musl', version: '1.2.3' }]),
      sbom([{ name: 'zlib', version: '1.2.13' }, { name: 'openssl', version: '3.0.2' }, { name: 'busybox', version: '1.36.1' }, { name: 'ca-certificates' }]),
    );
    assert.deepEqual(d.added, [{ name: 'busybox', version: '1.36.1' }, { name: 'ca-certificates', version: null }]);
    assert.deepEqual(d.removed, [{ name: 'musl', version: '1.2.3' }]);
    assert.deepEqual(d.changed, [{ name: 'openssl', from: '3.0.1', to: '3.0.2' }]);
    assert.equal(d.total, 4);
    assert.equal(d.incomplete, false);
  });

  test('a name listed with several versions compares the sets; identical lists give an empty diff', () => {
    const d = diffSboms(sbom([{ name: 'lib', version: '1' }, { name: 'lib', version: '2' }]), sbom([{ name: 'lib', version: '2' }, { name: 'lib', version: '3' }]));
    assert.deepEqual(d.changed, [{ name: 'lib', from: '1, 2', to: '2, 3' }]);
    assert.equal(diffSboms(sbom([{ name: 'a', version: '1' }]), sbom([{ name: 'a', version: '1' }])).total, 0);
  });
});

describe('judgeUpdate', () => {
  const sides = (o: { sigs?: SignatureResult[]; status?: DigestTrust['status']; created?: string; desc?: ImageDescription | null }, c: typeof o) => ({
    old: imageSide(OLD, o.desc === undefined ? manifest(OLD, o.created ?? daysAgo(40)) : o.desc, verification(OLD, o.status ?? 'verified', o.sigs ?? [sig(KEY_A)]), NOW),
    candidate: imageSide(NEW, c.desc === undefined ? manifest(NEW, c.created ?? daysAgo(12)) : c.desc, verification(NEW, c.status ?? 'verified', c.sigs ?? [sig(KEY_A)]), NOW),
  });

  test('same key, verified, old enough: accepted, with each passed gate said', () => {
    const { old, candidate } = sides({}, {});
    const j = judgeUpdate(old, candidate, { ...opts, minAgeMs: 7 * DAY, minAgeText: '7d' });
    assert.equal(j.decision, 'accepted');
    assert.equal(j.signer.status, 'same');
    assert.deepEqual(j.signer.shared, [`key sha256:${'a'.repeat(12)}…`]);
    assert.deepEqual(j.reasons, [
      'the same platform as the pin (linux/amd64)',
      'verifies under policy rule "prod" (Signed by keys/x.pub.)',
      `the same signer as the pin (key sha256:${'a'.repeat(12)}…)`,
      `12 days old (config created ${daysAgo(12)}), at least --min-age 7d`,
    ]);
  });

  test('another trusted key: refused, naming both signers; accepted with --allow-signer-change', () => {
    const { old, candidate } = sides({}, { sigs: [sig(KEY_B)] });
    const j = judgeUpdate(old, candidate, opts);
    assert.equal(j.decision, 'refused');
    assert.equal(j.signer.status, 'changed');
    assert.deepEqual(j.reasons, [`the signer changed: the pin was signed by key sha256:${'a'.repeat(12)}…, the candidate by key sha256:${'b'.repeat(12)}…; refused unless --allow-signer-change`]);
    assert.equal(judgeUpdate(old, candidate, { allowSignerChange: true }).decision, 'accepted');
  });

  test('keyless: the same subject with another issuer is another signer', () => {
    const a = { kind: 'keyless' as const, subject: 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com' };
    const { old, candidate } = sides({ sigs: [sig(a)] }, { sigs: [sig({ ...a, issuer: 'https://evil.example' })] });
    assert.equal(judgeUpdate(old, candidate, opts).signer.status, 'changed');
    const same = sides({ sigs: [sig(a)] }, { sigs: [sig({ ...a })] });
    assert.equal(judgeUpdate(same.old, same.candidate, opts).signer.status, 'same');
  });

  test('the current pin has no verified signer: said, and refused (fail closed) unless --allow-signer-change', () => {
    const { old, candidate } = sides({ status: 'unsigned', sigs: [] }, {});
    const j = judgeUpdate(old, candidate, opts);
    assert.equal(j.decision, 'refused');
    assert.equal(j.signer.status, 'unknown');
    assert.deepEqual(j.reasons, ['the current pin has no verified signer (unsigned: not verified (unsigned)), so "the same signer" cannot be established; refused (fail closed) unless --allow-signer-change']);
    const allowed = judgeUpdate(old, candidate, { allowSignerChange: true });
    assert.equal(allowed.decision, 'accepted');
    assert.ok(allowed.reasons.some((r) => r.endsWith('accepted with --allow-signer-change')));
  });

  test('an untrusted signature on the pin is not a signer: only verified signatures count', () => {
    const { old, candidate } = sides({ status: 'untrusted', sigs: [sig(KEY_A, 'untrusted')] }, {});
    assert.equal(judgeUpdate(old, candidate, opts).decision, 'refused');
  });

  test('a candidate that does not verify is refused, even with --allow-signer-change', () => {
    for (const status of ['unsigned', 'untrusted', 'invalid', 'error'] as const) {
      const { old, candidate } = sides({}, { status, sigs: status === 'unsigned' ? [] : [sig(KEY_A, status === 'error' ? 'error' : status)] });
      const j = judgeUpdate(old, candidate, { allowSignerChange: true });
      assert.equal(j.decision, 'refused', status);
      assert.match(j.reasons.join(' '), new RegExp(`the candidate does not verify under the policy: ${status}`));
    }
  });

  test('a verified signature next to a missing required attestation is not verified: refused', () => {
    const { old } = sides({}, {});
    const candidate = imageSide(NEW, manifest(NEW, daysAgo(12)), verification(NEW, 'untrusted', [sig(KEY_A)]), NOW);
    assert.equal(judgeUpdate(old, candidate, opts).decision, 'refused');
  });

  test('a broken policy or an off rule verifies nothing: refused with the reason', () => {
    const { old } = sides({}, {});
    const broken: ReferenceVerification = { digest: NEW, trust: null, policy: { rule: null, mode: null, exception: null, error: 'the trust policy is invalid' }, findings: [] };
    const j = judgeUpdate(old, imageSide(NEW, manifest(NEW, daysAgo(12)), broken, NOW), { allowSignerChange: true });
    assert.deepEqual(j.reasons, ['the candidate does not verify under the policy: the trust policy is invalid']);
    const off: ReferenceVerification = { digest: NEW, trust: null, policy: { rule: 'legacy', mode: 'off', exception: null }, findings: [] };
    assert.match(judgeUpdate(old, imageSide(NEW, manifest(NEW, daysAgo(12)), off, NOW), { allowSignerChange: true }).reasons[0], /policy rule "legacy" is off, so nothing is verified/);
  });

  test('--min-age: too young is refused with both the age and the minimum', () => {
    const { old, candidate } = sides({}, { created: daysAgo(2) });
    const j = judgeUpdate(old, candidate, { ...opts, minAgeMs: 7 * DAY, minAgeText: '7d' });
    assert.deepEqual(j.reasons, [`it is 2 days old (config created ${daysAgo(2)}): younger than --min-age 7d`]);
  });

  test('--min-age: an unknown age (no date, or 1970) is refused, stated; without --min-age it is shown but not a gate', () => {
    for (const desc of [manifest(NEW), manifest(NEW, '1970-01-01T00:00:00Z')]) {
      const { old, candidate } = sides({}, { desc });
      const j = judgeUpdate(old, candidate, { ...opts, minAgeMs: 7 * DAY, minAgeText: '7d' });
      assert.equal(j.decision, 'refused');
      assert.match(j.reasons[0], /^its age unknown \(.*\), and --min-age 7d needs a known age$/);
      assert.equal(judgeUpdate(old, candidate, opts).decision, 'accepted');
    }
  });

  test('a verified provenance build finish time is a source; an unverified one is not', () => {
    const prov = (status: AttestationResult['status']) => att('https://slsa.dev/provenance/v1', { runDetails: { builder: { id: 'b' }, metadata: { finishedOn: daysAgo(1) } } }, status);
    const verified = imageSide(NEW, manifest(NEW, daysAgo(30)), verification(NEW, 'verified', [sig(KEY_A)], [prov('verified')]), NOW);
    assert.equal(verified.age.source, 'provenance build finished');
    assert.equal(verified.age.ageMs, DAY);
    const unverified = imageSide(NEW, manifest(NEW, daysAgo(30)), verification(NEW, 'verified', [sig(KEY_A)], [prov('untrusted')]), NOW);
    assert.equal(unverified.age.source, 'config created');
  });

  test('an index pin stays an index pin; a platform pin stays the same platform', () => {
    const index = (d: string): ImageDescription => ({ digest: d, kind: 'index', mediaType: 'application/vnd.oci.image.index.v1+json', claims: [{ source: 'config created (linux/amd64)', value: daysAgo(10) }] });
    let s = sides({ desc: index(OLD) }, {});
    assert.deepEqual(judgeUpdate(s.old, s.candidate, opts).reasons, ['the pin is a multi-platform index, the candidate a single-platform manifest: an index pin stays an index pin']);
    s = sides({}, { desc: index(NEW) });
    assert.match(judgeUpdate(s.old, s.candidate, opts).reasons[0], /^the pin is a single-platform manifest, the candidate a multi-platform index/);
    s = sides({}, { desc: manifest(NEW, daysAgo(12), { os: 'linux', architecture: 'arm64' }) });
    assert.deepEqual(judgeUpdate(s.old, s.candidate, opts).reasons, ['the pin is a linux/amd64 image, the candidate linux/arm64: a platform pin stays a pin of the same platform']);
    s = sides({ desc: index(OLD) }, { desc: index(NEW) });
    assert.equal(judgeUpdate(s.old, s.candidate, opts).decision, 'accepted');
  });

  test('an unreadable pin or candidate is refused', () => {
    const { old } = sides({}, {});
    const candidate = imageSide(NEW, null, verification(NEW, 'verified', [sig(KEY_A)]), NOW, 'HTTP 500');
    assert.deepEqual(judgeUpdate(old, candidate, opts).reasons, ['the candidate cannot be read (HTTP 500)']);
  });

  test('SBOM diff from verified SBOMs only; an unverified SBOM is said, not compared', () => {
    const spdx = (pk: { name: string; versionInfo: string }[], status: AttestationResult['status'] = 'verified') => att('https://spdx.dev/Document', { spdxVersion: 'SPDX-2.3', packages: pk }, status);
    const oldV = verification(OLD, 'verified', [sig(KEY_A)], [spdx([{ name: 'openssl', versionInfo: '3.0.1' }, { name: 'musl', versionInfo: '1.2.3' }])]);
    const newV = verification(NEW, 'verified', [sig(KEY_A)], [spdx([{ name: 'openssl', versionInfo: '3.0.2' }, { name: 'busybox', versionInfo: '1.36.1' }])]);
    const j = judgeUpdate(imageSide(OLD, manifest(OLD, daysAgo(40)), oldV, NOW), imageSide(NEW, manifest(NEW, daysAgo(12)), newV, NOW), opts);
    assert.equal(j.sbomDiff?.total, 3);
    const unverifiedNew = verification(NEW, 'verified', [sig(KEY_A)], [spdx([{ name: 'evil', versionInfo: '1' }], 'untrusted')]);
    const j2 = judgeUpdate(imageSide(OLD, manifest(OLD, daysAgo(40)), oldV, NOW), imageSide(NEW, manifest(NEW, daysAgo(12)), unverifiedNew, NOW), opts);
    assert.equal(j2.sbomDiff, null);
    assert.equal(j2.sbomNote, 'no package diff: the candidate has no verified SBOM attestation (SPDX or CycloneDX); 1 SBOM(s) present but not verified were not compared');
  });

  test('CycloneDX SBOMs: components by group/name and version; SPDX against CycloneDX is compared by name, said', () => {
    const cdx = (components: { group?: string; name: string; version: string }[]) => att('https://cyclonedx.org/bom', { specVersion: '1.5', components });
    const spdx = att('https://spdx.dev/Document', { spdxVersion: 'SPDX-2.3', packages: [{ name: 'org.apache.logging.log4j/log4j-core', versionInfo: '2.17.0' }] });
    const oldSide = imageSide(OLD, manifest(OLD, daysAgo(40)), verification(OLD, 'verified', [sig(KEY_A)], [cdx([{ group: 'org.apache.logging.log4j', name: 'log4j-core', version: '2.17.0' }])]), NOW);
    const newSide = imageSide(NEW, manifest(NEW, daysAgo(12)), verification(NEW, 'verified', [sig(KEY_A)], [cdx([{ group: 'org.apache.logging.log4j', name: 'log4j-core', version: '2.17.1' }, { name: 'jq', version: '1.7' }])]), NOW);
    assert.deepEqual(oldSide.sboms[0].packages, [{ name: 'org.apache.logging.log4j/log4j-core', version: '2.17.0' }]);
    const j = judgeUpdate(oldSide, newSide, opts);
    assert.deepEqual({ added: j.sbomDiff?.added, changed: j.sbomDiff?.changed, format: j.sbomDiff?.newFormat }, { added: [{ name: 'jq', version: '1.7' }], changed: [{ name: 'org.apache.logging.log4j/log4j-core', from: '2.17.0', to: '2.17.1' }], format: 'CycloneDX 1.5' });
    const mixed = judgeUpdate(imageSide(OLD, manifest(OLD, daysAgo(40)), verification(OLD, 'verified', [sig(KEY_A)], [spdx]), NOW), newSide, opts);
    assert.equal(mixed.sbomDiff?.total, 2);
    assert.equal(mixed.sbomNote, 'the SBOMs have different formats (SPDX-2.3 and CycloneDX 1.5); packages are compared by name');
  });

  test('the editor setting: a minimum age it cannot read refuses every candidate (never "no minimum"); empty means none', () => {
    const { old, candidate } = sides({}, {});
    assert.deepEqual(editorUpdateOptions(''), { allowSignerChange: false });
    assert.deepEqual(editorUpdateOptions(' 7d '), { allowSignerChange: false, minAgeMs: 7 * DAY, minAgeText: '7d' });
    const bad = editorUpdateOptions('7days');
    assert.deepEqual(judgeUpdate(old, candidate, bad).reasons, ['the setting imageTrust.updateMinAge is "7days", not a duration (30m, 12h, 7d, 2w): nothing is updated until it is fixed']);
  });

  test('the quick-fix title: signer, age, packages changed', () => {
    const spdx = (pk: string[]) => att('https://spdx.dev/Document', { spdxVersion: 'SPDX-2.3', packages: pk.map((n) => ({ name: n, versionInfo: '1' })) });
    const old = imageSide(OLD, manifest(OLD, daysAgo(40)), verification(OLD, 'verified', [sig(KEY_A)], [spdx(['a', 'b'])]), NOW);
    const candidate = imageSide(NEW, manifest(NEW, daysAgo(12)), verification(NEW, 'verified', [sig(KEY_A)], [spdx(['b', 'c', 'd'])]), NOW);
    const c = { state: 'candidate', from: OLD, to: NEW, old, candidate, ...judgeUpdate(old, candidate, opts) } as UpdateCandidate;
    assert.equal(updateTitle(c), 'Update pin (same signer, 12 days old, 3 packages changed)');
  });
});
