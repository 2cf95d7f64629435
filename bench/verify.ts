// Verification of 200 signed digests with their signatures already fetched (fresh verification each time):
// median and p95 per digest, and the share spent in the signature check itself (crypto) vs parsing and policy.
// Target: p95 < 10 ms per digest after warm-up.
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { prepareTrust, publicGoodTrustedRoot, verifyDiscovered } from '../server/src/core/trust';
import { defaultRule, type Policy, type ResolvedRule } from '../server/src/core/policy';
import { compileRule, judgeDiscovered } from '../server/src/core/verification';
import type { DiscoveryResult } from '../server/src/core/trust';
import { COSIGN_SIGNATURE_TYPE, SIMPLE_SIGNING_MEDIA_TYPE, ANNOTATIONS } from '../server/src/core/trust/cosign';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readCosignFixture } from '../test/support/signing';
import { percentile, ratio, row, verdict } from './util';

const N = 200;

export function benchVerify(): void {
  console.log(`Verification: ${N} signed digests (cosign key signatures, cached manifests, fresh verification)`);
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const trust = prepareTrust([{ type: 'key', name: 'bench.pub', publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), requireTlog: false }]);
  const sets: DiscoveryResult[] = [];
  const raw: { payload: Buffer; sig: Buffer }[] = [];
  for (let i = 0; i < N; i++) {
    const digest = `sha256:${crypto.createHash('sha256').update(`image-${i}`).digest('hex')}`;
    const payload = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': `registry.example.com/app${i}` }, image: { 'docker-manifest-digest': digest }, type: COSIGN_SIGNATURE_TYPE }, optional: null }));
    const sig = crypto.sign('sha256', payload, privateKey);
    raw.push({ payload, sig });
    sets.push({
      name: `registry.example.com/app${i}`,
      digest,
      complete: true,
      errors: [],
      items: [{ kind: 'cosign-signature', foundIn: 'cosign-tag', manifestDigest: digest, layer: { mediaType: SIMPLE_SIGNING_MEDIA_TYPE, payload, annotations: { [ANNOTATIONS.signature]: sig.toString('base64') } } }],
    });
  }
  for (const s of sets.slice(0, 20)) verifyDiscovered(s, trust); // warm-up
  const times: number[] = [];
  for (const s of sets) {
    const t0 = performance.now();
    const r = verifyDiscovered(s, trust);
    times.push(performance.now() - t0);
    if (r.status !== 'verified') throw new Error(`expected verified, got ${r.status}: ${r.reason}`);
  }
  const total = times.reduce((a, b) => a + b, 0);
  const c0 = performance.now();
  for (const { payload, sig } of raw) crypto.verify('sha256', payload, publicKey, sig);
  const cryptoMs = performance.now() - c0;
  row('per digest, median', `${percentile(times, 50).toFixed(2)} ms`);
  row('per digest, p95', `${percentile(times, 95).toFixed(2)} ms`, `target < 10 ms  ${verdict(percentile(times, 95) < 10)}`);
  row('share in crypto (bare crypto.verify of the same signatures)', `${((cryptoMs / total) * 100).toFixed(0)} %`, `rest: parsing, payload checks, aggregation`);
  benchKeyless();
}

/** Keyless (Fulcio certificate chain + Rekor SET + identity): the real cosign fixture, verified 200 times afresh. */
function benchKeyless(): void {
  const fixtures = resolve(__dirname, '..', '..', 'shared', 'cosign-fixtures');
  const dir = join(fixtures, 'dir-img-cosign-fulcio-rekor-valid');
  if (!existsSync(dir)) return row('keyless (cosign fixture)', 'skipped', '../shared/cosign-fixtures not present');
  const { manifest, signatures } = readCosignFixture(fixtures, 'dir-img-cosign-fulcio-rekor-valid');
  const digest = `sha256:${crypto.createHash('sha256').update(manifest).digest('hex')}`;
  const trust = prepareTrust([{ type: 'keyless', issuer: 'https://github.com/login/oauth', subject: 'mitr@redhat.com' }]);
  const set: DiscoveryResult = {
    name: 'example/keyless',
    digest,
    complete: true,
    errors: [],
    items: signatures.map((layer) => ({ kind: 'cosign-signature' as const, foundIn: 'cosign-tag' as const, manifestDigest: digest, layer })),
  };
  for (let i = 0; i < 20; i++) verifyDiscovered(set, trust);
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const r = verifyDiscovered(set, trust);
    times.push(performance.now() - t0);
    if (r.status !== 'verified') throw new Error(`keyless fixture: ${r.status}: ${r.reason}`);
  }
  row('keyless (Fulcio chain + Rekor SET + identity), per digest, median', `${percentile(times, 50).toFixed(2)} ms`);
  row('keyless, p95', `${percentile(times, 95).toFixed(2)} ms`, `target < 10 ms  ${verdict(percentile(times, 95) < 10)}`);
  benchKeylessPolicyRoot(set);
}

/**
 * Keyless through the policy path, with the policy's own `trustedRoot` (a copy of the public-good root read as a
 * policy file would be): the rule is compiled once per policy version and reused for every digest, and the same
 * work with the trust material rebuilt per digest (what happened before the policy was compiled once) as the floor.
 */
function benchKeylessPolicyRoot(set: DiscoveryResult): void {
  const root = JSON.parse(JSON.stringify(publicGoodTrustedRoot())) as Record<string, unknown>;
  const rule: ResolvedRule = { ...defaultRule(), name: 'keyless', mode: 'enforce', signers: [{ type: 'keyless', issuer: 'https://github.com/login/oauth', subject: 'mitr@redhat.com' }] };
  const policy: Policy = { version: 1, policyPath: '/bench/.image-trust.yaml', trustedRoot: { path: '/bench/trusted_root.json', json: root }, rules: [rule], defaultRule: defaultRule(), exceptions: [], severity: {} };
  const compiled = compileRule(policy, rule);
  for (let i = 0; i < 20; i++) judgeDiscovered(set, compiled);
  const times: number[] = [];
  const rebuilt: number[] = [];
  for (let i = 0; i < N; i++) {
    let t0 = performance.now();
    const r = judgeDiscovered(set, compileRule(policy, rule));
    times.push(performance.now() - t0);
    if (r.status !== 'verified') throw new Error(`keyless with policy trustedRoot: ${r.status}: ${r.reason}`);
    if (i % 10 === 0) {
      t0 = performance.now();
      verifyDiscovered(set, prepareTrust(rule.signers as never, { trustedRoot: root }));
      rebuilt.push(performance.now() - t0);
    }
  }
  row('keyless, policy trustedRoot, compiled once: median', `${percentile(times, 50).toFixed(2)} ms`);
  row('keyless, policy trustedRoot, compiled once: p95', `${percentile(times, 95).toFixed(2)} ms`, `target < 10 ms  ${verdict(percentile(times, 95) < 10)}`);
  row('  floor for contrast: trust material rebuilt per digest, median', `${percentile(rebuilt, 50).toFixed(2)} ms`, `compiled once is ${ratio(percentile(times, 50), percentile(rebuilt, 50))} of it`);
}
