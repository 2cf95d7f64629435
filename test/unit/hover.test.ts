// lsp/hover.ts `renderHover`, pure: what the hover on an image reference says in each state. The first three lines
// answer "can I trust this?" (headline, digest, signatures); details and findings follow.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classify } from '../../server/src/core/analyze';
import type { Finding } from '../../server/src/core/findings';
import type { Resolution } from '../../server/src/core/resolve';
import type { DigestTrust, SignatureResult } from '../../server/src/core/trust/status';
import type { ImageRef } from '../../server/src/core/types';
import type { PolicyOutcome, ReferenceVerification } from '../../server/src/core/verification';
import { renderHover, type HoverInput } from '../../server/src/lsp/hover';

const RULES_DOC = 'https://example.test/docs/rules.md';
const PIN = `sha256:${'ab'.repeat(32)}`;
const NOW = `sha256:${'cd'.repeat(32)}`;
const ARM = `sha256:${'ef'.repeat(32)}`;
const short = (d: string) => `${d.slice(0, 19)}…`;

function ref(reference: string, opts: { templated?: boolean; context?: string } = {}): ImageRef {
  return classify({ kind: 'kubernetes', range: { start: 0, end: reference.length }, text: reference, reference, templated: opts.templated ?? false, ...(opts.context ? { context: opts.context } : {}) });
}

const POLICY: PolicyOutcome = { rule: 'prod', mode: 'enforce', exception: null };

function trust(status: DigestTrust['status'], reason: string, signatures: SignatureResult[] = [], digest = PIN): DigestTrust {
  return { digest, status, reason, signatures, attestations: [] };
}

function verification(t: DigestTrust | null, over: Partial<ReferenceVerification> = {}): ReferenceVerification {
  return { digest: t?.digest ?? PIN, trust: t, policy: POLICY, findings: [], ...over };
}

const goodSig: SignatureResult = { status: 'verified', type: 'cosign', foundIn: 'cosign-tag', signer: 'release.pub', reason: 'signature verified with release.pub', logIndex: 4242, integratedTime: 1_700_000_000 };

function hover(over: Partial<HoverInput> & { ref: ImageRef }): string {
  return renderHover({ resolution: undefined, verification: undefined, findings: [], rulesDocUri: RULES_DOC, offline: false, restricted: false, ...over });
}

/** The first three lines (headline, digest, signatures) without the markdown line-break spaces. */
function top(text: string): string[] {
  return text.split('\n---\n')[0].split('\n').map((l) => l.replace(/ {2}$/, '')).filter(Boolean);
}

const headline = (text: string) => top(text)[0];

describe('headline for each state', () => {
  test('invalid reference: ❌ with the parser’s reason', () => {
    assert.equal(headline(hover({ ref: ref('Nginx:1.25') })), '❌ `Nginx:1.25` — **invalid reference**: repository name must be lowercase: "Nginx"');
  });

  test('templated: ❔ decided at deploy/build time', () => {
    assert.equal(headline(hover({ ref: ref('{{ .Values.image }}', { templated: true }), verification: null })), '❔ `{{ .Values.image }}` — **templated**: the final value is decided at deploy/build time');
  });

  test('pinned and verified: ✅', () => {
    const text = hover({ ref: ref(`nginx:1.25@${PIN}`), verification: verification(trust('verified', 'Signed by release.pub.', [goodSig])) });
    assert.equal(headline(text), `✅ \`nginx:1.25@${short(PIN)}\` — **pinned and verified**`);
  });

  test('signed but not pinned: ⚠️ the tag can move away', () => {
    const text = hover({ ref: ref('nginx:1.25'), resolution: { tagDigest: NOW, platforms: [], fromCache: false, cacheAgeMs: 0 }, verification: verification(trust('verified', 'Signed by release.pub.', [goodSig], NOW)) });
    assert.equal(headline(text), '⚠️ `nginx:1.25` — **signed, but not pinned**: the tag can move away from the verified digest');
  });

  test('invalid signature: ❌, pinned or not', () => {
    const bad = verification(trust('invalid', 'No trusted signature; one is invalid: the payload names another digest'));
    assert.equal(headline(hover({ ref: ref(`nginx:1.25@${PIN}`), verification: bad })), `❌ \`nginx:1.25@${short(PIN)}\` — **invalid signature**`);
    assert.equal(headline(hover({ ref: ref('nginx:1.25'), verification: bad })), '❌ `nginx:1.25` — **invalid signature**');
  });

  test('not pinned: ⚠️ naming the tag, or latest when none is written', () => {
    assert.equal(headline(hover({ ref: ref('nginx:1.25') })), '⚠️ `nginx:1.25` — **not pinned**: the tag `1.25` can point to other bytes tomorrow');
    assert.equal(headline(hover({ ref: ref('ghcr.io/acme/api') })), '⚠️ `ghcr.io/acme/api` — **not pinned**: the tag `latest` can point to other bytes tomorrow');
  });

  test('pinned, tag moved since: ⚠️', () => {
    const moved: Resolution = { tagDigest: NOW, platforms: [], digestExists: true, drift: true, updateDigest: NOW, fromCache: false, cacheAgeMs: 0 };
    assert.equal(headline(hover({ ref: ref(`nginx:1.25@${PIN}`), resolution: moved })), `⚠️ \`nginx:1.25@${short(PIN)}\` — **pinned; the tag has moved** since`);
  });

  test('pinned, unsigned: ⚠️', () => {
    assert.equal(headline(hover({ ref: ref(`nginx@${PIN}`), verification: verification(trust('unsigned', 'No signatures found.')) })), `⚠️ \`nginx@${short(PIN)}\` — **pinned, unsigned**`);
  });

  test('pinned, signed by nobody trusted: ⚠️', () => {
    const untrusted = verification(trust('untrusted', 'No trusted signature: signed with an unknown key', [{ ...goodSig, status: 'untrusted', signer: undefined, reason: 'unknown key' }]));
    assert.equal(headline(hover({ ref: ref(`nginx@${PIN}`), verification: untrusted })), `⚠️ \`nginx@${short(PIN)}\` — **pinned; no trusted signature**`);
  });

  test(
    'pinned, trusted signature verified but a required attestation missing: the headline does not deny the trusted signature',
    () => {
      const t = trust('untrusted', 'Signature verified, but required attestations are missing or not verified: https://slsa.dev/provenance/v1 (attestations[0]).', [goodSig]);
      const text = hover({ ref: ref(`nginx@${PIN}`), verification: verification(t) });
      assert.doesNotMatch(headline(text), /no trusted signature/);
    },
  );

  test('plain pinned (nothing more known): ✅ pinned by digest', () => {
    assert.equal(headline(hover({ ref: ref(`ghcr.io/acme/api:2@${PIN}`) })), `✅ \`ghcr.io/acme/api:2@${short(PIN)}\` — **pinned by digest**`);
  });

  test('broken policy: ❌ not verified, with the policy error — even over a verified trust', () => {
    const error = 'the trust policy is invalid; fix .image-trust.yaml (nothing is verified under a broken policy)';
    const broken = verification(trust('verified', 'Signed by release.pub.', [goodSig]), { policy: { rule: null, mode: null, exception: null, error } });
    const text = hover({ ref: ref(`nginx@${PIN}`), verification: broken });
    assert.equal(headline(text), `❌ \`nginx@${short(PIN)}\` — **not verified**: ${error}`);
    assert.equal(top(text)[2], `Signatures: ${error}`);
  });

  test('precedence: invalid signature over a moved tag; a moved tag over unsigned', () => {
    const moved: Resolution = { tagDigest: NOW, platforms: [], digestExists: true, drift: true, fromCache: false, cacheAgeMs: 0 };
    assert.match(headline(hover({ ref: ref(`nginx:1.25@${PIN}`), resolution: moved, verification: verification(trust('invalid', 'x')) })), /\*\*invalid signature\*\*$/);
    assert.match(headline(hover({ ref: ref(`nginx:1.25@${PIN}`), resolution: moved, verification: verification(trust('unsigned', 'x')) })), /\*\*pinned; the tag has moved\*\* since$/);
  });
});

describe('digest and signature lines', () => {
  test('a fresh answer: the pin, where the tag points now, checked just now; signatures with reason and cache age', () => {
    const r: Resolution = { tagDigest: PIN, platforms: [], digestExists: true, drift: false, fromCache: false, cacheAgeMs: 0 };
    const v = { ...verification(trust('verified', 'Signed by release.pub.', [goodSig])), cacheAgeMs: 5 * 60_000 };
    assert.deepEqual(top(hover({ ref: ref(`nginx:1.25@${PIN}`), resolution: r, verification: v })), [
      `✅ \`nginx:1.25@${short(PIN)}\` — **pinned and verified**`,
      `Pinned to \`${short(PIN)}\` · tag \`1.25\` → \`${short(PIN)}\` (checked just now)`,
      '✅ Signatures: **verified** — Signed by release.pub. (cached result, 5 min ago)',
    ]);
  });

  test('a cached registry answer says how old it is', () => {
    const r: Resolution = { tagDigest: NOW, platforms: [], fromCache: true, cacheAgeMs: 3 * 3_600_000 };
    assert.equal(top(hover({ ref: ref('nginx:1.25'), resolution: r }))[1], `tag \`1.25\` → \`${short(NOW)}\` (cached, 3 h ago)`);
  });

  test('still waiting: ⏳ asking the registry, ⏳ checking signatures', () => {
    assert.deepEqual(top(hover({ ref: ref('nginx:1.25') })).slice(1), ['⏳ asking the registry…', '⏳ Signatures: checking…']);
  });

  test('a registry error is shown with its message', () => {
    const r: Resolution = { platforms: [], fromCache: false, cacheAgeMs: 0, error: { code: 'REGISTRY_UNAUTHORIZED', message: 'docker.io: unauthorized' } };
    assert.equal(top(hover({ ref: ref('nginx:1.25'), resolution: r }))[1], 'registry: docker.io: unauthorized');
  });

  test('nothing to check (templated): says so', () => {
    assert.equal(top(hover({ ref: ref('${IMAGE}', { templated: true }), verification: null }))[1], 'Signatures: nothing to check');
  });

  test('mode off: not checked — policy mode off', () => {
    const off = verification(null, { digest: PIN, policy: { rule: 'legacy', mode: 'off', exception: null } });
    const text = hover({ ref: ref(`nginx@${PIN}`), verification: off });
    assert.equal(top(text)[2], 'Signatures: not checked — policy mode off');
    assert.match(text, /\*\*Policy\*\* rule `legacy` \(off\)/);
  });

  test('digest unknown (unpinned, unresolved): says so', () => {
    const unknown = verification(null, { digest: null });
    assert.equal(top(hover({ ref: ref('nginx:1.25'), verification: unknown }))[2], 'Signatures: not checked — the digest is unknown');
  });
});

describe('offline and Restricted Mode wording', () => {
  const offlineMiss: Resolution = { platforms: [], fromCache: false, cacheAgeMs: 0, error: { code: 'OFFLINE', message: 'offline, and nginx:1.25 is not in the cache' } };

  test('offline: the registry is not asked; signatures not checked (offline)', () => {
    assert.deepEqual(top(hover({ ref: ref('nginx:1.25'), resolution: offlineMiss, offline: true })).slice(1), ['offline: the registry is not asked', 'Signatures: not checked (offline)']);
    assert.deepEqual(top(hover({ ref: ref('nginx:1.25'), offline: true })).slice(1), ['offline: the registry is not asked', 'Signatures: not checked (offline)']);
  });

  test('offline with the digest unknown: says why', () => {
    assert.equal(top(hover({ ref: ref('nginx:1.25'), offline: true, verification: verification(null, { digest: null }) }))[2], 'Signatures: not checked — the digest is unknown (offline)');
  });

  test('Restricted Mode: its own wording, taking precedence over offline', () => {
    const lines = top(hover({ ref: ref('nginx:1.25'), restricted: true, offline: true }));
    assert.deepEqual(lines.slice(1), ['Restricted Mode: the registry is not asked (trust the workspace to check it)', 'Signatures: not checked (Restricted Mode)']);
    assert.equal(top(hover({ ref: ref('nginx:1.25'), restricted: true, verification: verification(null, { digest: null }) }))[2], 'Signatures: not checked — the digest is unknown (Restricted Mode)');
  });

  test('a pinned digest-only reference offline: only the pin, no registry line', () => {
    assert.equal(top(hover({ ref: ref(`nginx@${PIN}`), offline: true }))[1], `Pinned to \`${short(PIN)}\``);
  });

  test('an OFFLINE error while online is shown as a registry error, not as "offline"', () => {
    assert.equal(top(hover({ ref: ref('nginx:1.25'), resolution: offlineMiss }))[1], 'registry: offline, and nginx:1.25 is not in the cache');
  });
});

describe('details', () => {
  test('image name (with its familiar form), where it was found, platforms with the pinned one marked', () => {
    const r: Resolution = {
      tagDigest: NOW,
      platforms: [
        { os: 'linux', architecture: 'amd64', digest: PIN, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
        { os: 'linux', architecture: 'arm', variant: 'v7', digest: ARM, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
      ],
      digestExists: true,
      drift: false,
      fromCache: false,
      cacheAgeMs: 0,
    };
    r.pinnedPlatform = r.platforms[0];
    const text = hover({ ref: ref(`nginx:1.25@${PIN}`, { context: 'Deployment web / container app' }), resolution: r });
    const details = text.split('\n---\n')[1].trimEnd().split('\n\n');
    assert.deepEqual(details, [
      '**Image** `docker.io/library/nginx` (`nginx`)',
      '**Found in** Deployment web / container app',
      '**Platforms** (tag is a multi-platform index):',
      `- linux/amd64 \`${short(PIN)}\` ← pinned`,
      `- linux/arm/v7 \`${short(ARM)}\``,
    ]);
  });

  test('a fully qualified name outside Docker Hub is shown once', () => {
    assert.match(hover({ ref: ref('ghcr.io/acme/api:1') }), /\*\*Image\*\* `ghcr\.io\/acme\/api`\n/);
  });

  test('digests are shortened everywhere the hover writes them', () => {
    const r: Resolution = { tagDigest: NOW, platforms: [{ os: 'linux', architecture: 'arm64', digest: ARM, mediaType: 'x' }], digestExists: true, drift: true, fromCache: false, cacheAgeMs: 0 };
    const text = hover({ ref: ref(`nginx:1.25@${PIN}`), resolution: r, verification: verification(trust('verified', 'Signed by release.pub.', [goodSig])) });
    for (const d of [PIN, NOW, ARM]) {
      assert.ok(!text.includes(d), `full digest ${d} appears`);
      assert.ok(text.includes(short(d)), `short digest ${short(d)} missing`);
    }
  });

  test('signatures: signer, issuer, Rekor entry and time; attestations with their summary', () => {
    const keyless: SignatureResult = { status: 'verified', type: 'sigstore-bundle', foundIn: 'referrers-api', signer: 'https://github.com/acme/api/.github/workflows/release.yml@refs/tags/v1', issuer: 'https://token.actions.githubusercontent.com', logIndex: 7, integratedTime: 1_700_000_000, reason: 'ok' };
    const t: DigestTrust = {
      ...trust('verified', 'Signed by acme.', [keyless, { status: 'invalid', type: 'cosign', foundIn: 'cosign-tag', reason: 'names another digest' }]),
      attestations: [
        { status: 'verified', type: 'cosign-attestation', foundIn: 'cosign-tag', predicateType: 'https://slsa.dev/provenance/v1', reason: 'ok', summary: { kind: 'slsa-provenance-v1', title: 'SLSA provenance v1', summary: 'built by https://github.com/actions/runner from github.com/acme/api@abc123', fields: {} } },
        { status: 'untrusted', type: 'cosign-attestation', foundIn: 'cosign-tag', predicateType: 'https://example.test/custom', reason: 'unknown key' },
      ],
    };
    const text = hover({ ref: ref(`ghcr.io/acme/api@${PIN}`), verification: verification(t) });
    assert.ok(text.includes('- ✅ sigstore-bundle signature (referrers-api) by https://github.com/acme/api/.github/workflows/release.yml@refs/tags/v1, issuer https://token.actions.githubusercontent.com, Rekor #7 at 2023-11-14T22:13:20Z: ok'), text);
    assert.ok(text.includes('- ❌ cosign signature (cosign-tag): names another digest'), text);
    assert.ok(text.includes('- ✅ SLSA provenance v1 — verified: built by https://github.com/actions/runner from github.com/acme/api@abc123'), text);
    assert.ok(text.includes('- ⚠️ https://example.test/custom — untrusted'), text);
  });

  test('policy rule and an active exception; an expired exception warns with its message', () => {
    const active = verification(trust('unsigned', 'No signatures found.'), {
      policy: { rule: 'prod', mode: 'enforce', exception: { owner: 'team-platform', reason: 'vendor image', expires: '2026-12-31', daysLeft: 12, active: true, message: 'm' } },
    });
    const a = hover({ ref: ref(`nginx@${PIN}`), verification: active });
    assert.ok(a.includes('**Policy** rule `prod` (enforce)'));
    assert.ok(a.includes('**Exception** by team-platform: vendor image — 12 day(s) left'));
    const expired = verification(trust('unsigned', 'No signatures found.'), {
      policy: { rule: 'prod', mode: 'audit', exception: { owner: 'team-platform', reason: 'vendor image', expires: '2026-01-01', daysLeft: -3, active: false, message: 'exception expired on 2026-01-01 (owner team-platform)' } },
    });
    const e = hover({ ref: ref(`nginx@${PIN}`), verification: expired });
    assert.ok(e.includes('⚠️ exception expired on 2026-01-01 (owner team-platform)'));
    assert.ok(!e.includes('**Exception**'));
  });

  test('backticks in a reference cannot break out of the code span', () => {
    const r = ref('bad`ref');
    assert.ok(headline(hover({ ref: r })).startsWith("❌ `bad'ref` — **invalid reference**"));
  });
});

describe('findings: what to do, each linking to its rule', () => {
  test('each finding is a bullet linking to the rules doc anchor of its code, with its message', () => {
    const findings: Finding[] = [
      { code: 'unpinned-tag', severity: 'warning', message: 'Image nginx:1.25 is pinned only by the tag "1.25".', range: { start: 0, end: 10 } },
      { code: 'unsigned', severity: 'error', mode: 'enforce', message: 'nginx has no signature.', range: { start: 0, end: 10 } },
    ];
    const text = hover({ ref: ref('nginx:1.25'), findings });
    const section = text.split('\n---\n').at(-1)!;
    assert.equal(
      section,
      `**What to do**\n\n- [unpinned-tag](${RULES_DOC}#unpinned-tag): Image nginx:1.25 is pinned only by the tag "1.25".\n- [unsigned](${RULES_DOC}#unsigned): nginx has no signature.`,
    );
  });

  test('no findings: no "What to do" section', () => {
    assert.ok(!hover({ ref: ref(`nginx@${PIN}`) }).includes('What to do'));
  });
});

describe('moved pins: the trust-gated update, and verdicts from the trust lock', () => {
  const moved: Resolution = { tagDigest: NOW, platforms: [], digestExists: true, drift: true, updateDigest: NOW, fromCache: false, cacheAgeMs: 0 };
  const pinned = ref(`nginx:1.25@${PIN}`);
  const candidate = (decision: 'accepted' | 'refused', reasons: string[]) =>
    ({
      state: 'candidate',
      from: PIN,
      to: NOW,
      decision,
      reasons,
      signer: { status: decision === 'accepted' ? 'same' : 'changed', old: [], new: [], shared: [] },
      candidate: { age: { ageMs: 12 * 86_400_000 } },
      sbomDiff: { total: 3 },
    }) as unknown as HoverInput['update'];

  test('not judged yet: checking; offline: not checked', () => {
    assert.equal(top(hover({ ref: pinned, resolution: moved }))[3], '⏳ Update: checking the new digest (signer, age, policy)…');
    assert.equal(top(hover({ ref: pinned, resolution: moved, offline: true }))[3], 'Update: not checked (offline)');
  });

  test('accepted: the quick fix title, the digest, and why', () => {
    const text = hover({ ref: pinned, resolution: moved, update: candidate('accepted', ['verifies under policy rule "prod"', 'the same signer as the pin (key sha256:0123456789ab…)']) });
    assert.equal(top(text)[3], `✅ **Update pin (same signer, 12 days old, 3 packages changed)** to \`${short(NOW)}\` is available as a quick fix: verifies under policy rule "prod"; the same signer as the pin (key sha256:0123456789ab…)`);
  });

  test('refused: withheld, with every reason', () => {
    const text = hover({ ref: pinned, resolution: moved, update: candidate('refused', ['the signer changed: …; refused unless --allow-signer-change', 'it is 2 days old (config created …): younger than --min-age 7d']) });
    assert.equal(top(text)[3], `⚠️ **Update withheld** (\`${short(NOW)}\`): the signer changed: …; refused unless --allow-signer-change; it is 2 days old (config created …): younger than --min-age 7d`);
  });

  test('no update line when the tag did not move', () => {
    assert.equal(top(hover({ ref: pinned, verification: verification(trust('verified', 'Signed by release.pub.', [goodSig])) })).length, 3);
  });

  test('verified from the trust lock: said with the date the lock was made; a lock under another policy is not used, said', () => {
    const v = verification(trust('verified', 'Signed by release.pub.', [goodSig]));
    assert.equal(top(hover({ ref: pinned, verification: v, offline: true, lock: { state: 'locked', lockedAt: '2026-11-02T10:20:30.000Z' } }))[2], '✅ Signatures: **verified** — Signed by release.pub. (verified from lock, made 2026-11-02 10:20 UTC)');
    const unsigned = verification(trust('unsigned', 'No signatures found.'));
    assert.match(top(hover({ ref: pinned, verification: unsigned, lock: { state: 'locked', lockedAt: '2026-11-02T10:20:30.000Z' } }))[2], /\(checked from lock, made 2026-11-02 10:20 UTC\)$/);
    assert.match(top(hover({ ref: pinned, verification: v, lock: { state: 'policy-changed', lockedAt: '2026-11-02T10:20:30.000Z', detail: 'the lock was made under another trust policy' } }))[2], /\(the trust lock was not used: the lock was made under another trust policy; run image-trust lock\)$/);
  });
});
