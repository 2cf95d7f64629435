// lsp/tree.ts `buildTree` on in-memory analyses with a stand-in resolution service (no registry, no LSP
// connection): the shape the trust tree and the status bar render — files, references, facts, findings, `changed`.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeText } from '../../server/src/core/analyze';
import { assessFile } from '../../server/src/core/assess';
import type { Finding } from '../../server/src/core/findings';
import { LineIndex } from '../../server/src/core/positions';
import type { Resolution } from '../../server/src/core/resolve';
import type { DigestTrust } from '../../server/src/core/trust/status';
import type { FileKind, ImageRef } from '../../server/src/core/types';
import type { ReferenceVerification } from '../../server/src/core/verification';
import type { DocumentAnalysis } from '../../server/src/lsp/documents';
import type { ResolutionService } from '../../server/src/lsp/resolution';
import { buildTree, type BranchComparison } from '../../server/src/lsp/tree';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const INDEX = D('1');
const AMD = D('2');
const ARMV7 = D('3');
const PIN = D('4');
const NOW = D('5');

function doc(uri: string, kind: FileKind, text: string): DocumentAnalysis {
  const analysis = analyzeText(text, kind);
  return { uri, version: 1, kind, analysis, findings: [], lines: analysis.lines };
}

/** Stand-in for the resolution service: answers keyed by the reference as written (and by uri for verifications). */
function service(resolutions: Record<string, Resolution>, verifications: Record<string, ReferenceVerification | null> = {}): ResolutionService {
  return {
    get: (ref: ImageRef) => resolutions[ref.reference],
    verification: (uri: string, ref: ImageRef) => verifications[`${uri} ${ref.reference}`],
  } as unknown as ResolutionService;
}

const OFF: BranchComparison = { ref: null, changed: () => null };

/** The real findings of a document, from the same facts the stand-in serves. */
function findingsFrom(svc: ResolutionService) {
  return (uri: string, d: DocumentAnalysis): Finding[] => assessFile(d.analysis ?? { refs: [] }, (r) => ({ resolution: svc.get(r) ?? null, verification: svc.verification(uri, r) ?? null }));
}

const verifiedTrust: DigestTrust = {
  digest: PIN,
  status: 'verified',
  reason: 'Signed by release.pub.',
  validUntil: '2027-01-01T00:00:00.000Z',
  signatures: [{ status: 'verified', type: 'cosign', foundIn: 'cosign-tag', signer: 'release.pub', logIndex: 12, integratedTime: 1_700_000_000, reason: 'ok' }],
  attestations: [
    {
      status: 'verified',
      type: 'cosign-attestation',
      foundIn: 'cosign-tag',
      predicateType: 'https://slsa.dev/provenance/v1',
      requirement: 0,
      signer: 'release.pub',
      reason: 'ok',
      summary: { kind: 'slsa-provenance-v1', title: 'SLSA provenance v1', summary: 'built by ci from acme/api@abc', fields: {} },
    },
  ],
};

describe('buildTree: files', () => {
  test('only analysed documents with references, sorted by uri', () => {
    const docs = [
      doc('file:///ws/z/compose.yaml', 'compose', 'services:\n  a:\n    image: nginx:1.25\n'),
      doc('file:///ws/a/empty.yaml', 'kubernetes', 'apiVersion: v1\nkind: ConfigMap\ndata: {}\n'),
      doc('file:///ws/m/Dockerfile', 'dockerfile', 'FROM alpine:3.20\n'),
      { uri: 'file:///ws/b/unknown.yaml', version: 1, kind: null, analysis: null, findings: [], lines: new LineIndex('x: 1\n') },
      { uri: 'file:///ws/c/huge.yaml', version: 1, kind: 'kubernetes' as const, analysis: null, findings: [{ code: 'file-too-large', severity: 'information' as const, message: 'big', range: { start: 0, end: 0 } }], lines: new LineIndex('') },
      doc('file:///ws/b/values.yaml', 'helm-values', 'image:\n  repository: nginx\n  tag: "1.25"\n'),
    ];
    const svc = service({});
    const tree = buildTree(docs, svc, findingsFrom(svc), OFF);
    assert.deepEqual(tree.files.map((f) => [f.uri, f.kind, f.references.length]), [
      ['file:///ws/b/values.yaml', 'helm-values', 1],
      ['file:///ws/m/Dockerfile', 'dockerfile', 1],
      ['file:///ws/z/compose.yaml', 'compose', 1],
    ]);
    assert.equal(tree.compareWith, null);
    assert.ok(!('compareError' in tree));
  });

  test('no documents: no files', () => {
    assert.deepEqual(buildTree([], service({}), () => [], OFF), { files: [], compareWith: null });
  });
});

describe('buildTree: one reference with everything known', () => {
  const uri = 'file:///ws/deploy.yaml';
  const text = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: ghcr.io/acme/api:2@${PIN}\n`;
  const resolution: Resolution = {
    tagDigest: INDEX,
    tagMediaType: 'application/vnd.oci.image.index.v1+json',
    platforms: [
      { os: 'linux', architecture: 'amd64', digest: AMD, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
      { os: 'linux', architecture: 'arm', variant: 'v7', digest: ARMV7, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
    ],
    digestExists: true,
    drift: true,
    updateDigest: NOW,
    fromCache: true,
    cacheAgeMs: 1000,
  };
  const v: ReferenceVerification = { digest: PIN, trust: verifiedTrust, policy: { rule: 'prod', mode: 'enforce', exception: null }, findings: [], cacheAgeMs: 60_000 };

  test('the exact shape: position, parsed parts, findings, facts, summary, changed', () => {
    const d = doc(uri, 'kubernetes', text);
    const svc = service({ [`ghcr.io/acme/api:2@${PIN}`]: resolution }, { [`${uri} ghcr.io/acme/api:2@${PIN}`]: v });
    const tree = buildTree([d], svc, findingsFrom(svc), { ref: 'origin/main', changed: () => true });
    const moved = `The tag 2 of ghcr.io/acme/api now points to ${INDEX.slice(0, 19)}…, not the pinned ${PIN.slice(0, 19)}…. An unexpected move may be a swapped image: check why before updating the pin.`;
    const column = `          image: `.length;
    assert.deepEqual(tree, {
      compareWith: 'origin/main',
      files: [
        {
          uri,
          kind: 'kubernetes',
          references: [
            {
              uri,
              range: { start: { line: 9, character: column }, end: { line: 9, character: column + `ghcr.io/acme/api:2@${PIN}`.length } },
              text: `ghcr.io/acme/api:2@${PIN}`,
              reference: `ghcr.io/acme/api:2@${PIN}`,
              name: 'ghcr.io/acme/api',
              familiar: `ghcr.io/acme/api:2@${PIN}`,
              tag: '2',
              digest: PIN,
              status: 'pinned',
              findings: [{ code: 'tag-moved', severity: 'warning', message: moved }],
              resolvedDigest: INDEX,
              platforms: [
                { os: 'linux', architecture: 'amd64', variant: null, digest: AMD },
                { os: 'linux', architecture: 'arm', variant: 'v7', digest: ARMV7 },
              ],
              signatures: [{ status: 'verified', signer: 'release.pub', issuer: null, type: 'cosign', logIndex: 12, integratedTime: 1_700_000_000, foundIn: 'cosign-tag', reason: 'ok', validUntil: null }],
              attestations: [
                { predicateType: 'https://slsa.dev/provenance/v1', status: 'verified', summary: 'built by ci from acme/api@abc', title: 'SLSA provenance v1', signer: 'release.pub', foundIn: 'cosign-tag', reason: 'ok', requirement: 0 },
              ],
              policy: { rule: 'prod', mode: 'enforce', exception: null },
              trust: { digest: PIN, status: 'verified', reason: 'Signed by release.pub.', cached: true, cacheAgeMs: 60_000, validUntil: '2027-01-01T00:00:00.000Z' },
              changed: true,
              summary: `pinned · signatures verified · ${moved}`,
              // No admission policies (the default): admission does not apply.
              admission: [],
            },
          ],
        },
      ],
    });
  });
});

describe('buildTree: facts when little is known', () => {
  const uri = 'file:///ws/compose.yaml';
  const text = 'services:\n  a:\n    image: nginx:1.25\n  b:\n    image: ${X}\n  c:\n    image: Nginx\n';

  test('nothing resolved or verified: null/empty facts, extraction findings only', () => {
    const svc = service({});
    const [file] = buildTree([doc(uri, 'compose', text)], svc, findingsFrom(svc), OFF).files;
    const facts = file.references.map((r) => ({ reference: r.reference, status: r.status, resolvedDigest: r.resolvedDigest, platforms: r.platforms, signatures: r.signatures, attestations: r.attestations, policy: r.policy, trust: r.trust, changed: r.changed, codes: r.findings.map((f) => f.code) }));
    const empty = { resolvedDigest: null, platforms: [], signatures: [], attestations: [], policy: null, trust: null, changed: null };
    assert.deepEqual(facts, [
      { reference: 'nginx:1.25', status: 'unpinned', ...empty, codes: ['unpinned-tag'] },
      { reference: '${X}', status: 'templated', ...empty, codes: ['templated'] },
      { reference: 'Nginx', status: 'invalid', ...empty, codes: ['invalid-reference'] },
    ]);
    assert.deepEqual(file.references.map((r) => [r.name, r.familiar, r.tag, r.digest]), [
      ['docker.io/library/nginx', 'nginx:1.25', '1.25', null],
      [null, null, null, null],
      [null, null, null, null],
    ]);
    assert.match(file.references[0].summary, /^unpinned · Image nginx:1\.25 is pinned only by the tag "1\.25"/);
  });

  test('a verification with no digest: trust says "digest unknown"; one with a digest but no trust (mode off): null', () => {
    const unknown: ReferenceVerification = { digest: null, trust: null, policy: { rule: 'prod', mode: 'enforce', exception: null }, findings: [] };
    const off: ReferenceVerification = { digest: PIN, trust: null, policy: { rule: 'legacy', mode: 'off', exception: null }, findings: [] };
    const text2 = `services:\n  a:\n    image: nginx:1.25\n  b:\n    image: redis@${PIN}\n`;
    const svc = service({}, { [`${uri} nginx:1.25`]: unknown, [`${uri} redis@${PIN}`]: off });
    const [file] = buildTree([doc(uri, 'compose', text2)], svc, () => [], OFF).files;
    assert.deepEqual(file.references[0].trust, { digest: null, status: 'error', reason: 'digest unknown', cached: false, cacheAgeMs: null });
    assert.deepEqual(file.references[0].policy, { rule: 'prod', mode: 'enforce', exception: null });
    assert.equal(file.references[1].trust, null);
    assert.deepEqual(file.references[1].policy, { rule: 'legacy', mode: 'off', exception: null });
    assert.equal(file.references[1].summary, 'pinned');
  });

  test('a broken policy shows its error in the policy fact', () => {
    const error = 'the trust policy is invalid; fix .image-trust.yaml (nothing is verified under a broken policy)';
    const svc = service({}, { [`${uri} nginx:1.25`]: { digest: null, trust: null, policy: { rule: null, mode: null, exception: null, error }, findings: [] } });
    const [file] = buildTree([doc(uri, 'compose', 'services:\n  a:\n    image: nginx:1.25\n')], svc, () => [], OFF).files;
    assert.deepEqual(file.references[0].policy, { rule: null, mode: null, exception: null, error });
  });

  test('an unpinned reference whose tag resolved: resolvedDigest, and no drift field in the shape', () => {
    const svc = service({ 'nginx:1.25': { tagDigest: NOW, platforms: [], fromCache: false, cacheAgeMs: 0 } });
    const [file] = buildTree([doc(uri, 'compose', 'services:\n  a:\n    image: nginx:1.25\n')], svc, () => [], OFF).files;
    assert.equal(file.references[0].resolvedDigest, NOW);
    assert.ok(!('drift' in file.references[0]));
  });
});

describe('buildTree: findings attach by exact range', () => {
  test('each reference gets only the findings at its own range, whoever computed them', () => {
    const uri = 'file:///ws/compose.yaml';
    const text = 'services:\n  a:\n    image: nginx:1.25\n  b:\n    image: redis:7\n';
    const d = doc(uri, 'compose', text);
    const [a, b] = d.analysis!.refs;
    const findings: Finding[] = [
      { code: 'unsigned', severity: 'error', mode: 'enforce', message: 'redis unsigned', range: b.range },
      { code: 'unpinned-tag', severity: 'warning', message: 'nginx unpinned', range: a.range },
      { code: 'unreadable-yaml', severity: 'warning', message: 'overlaps a but is not at it', range: { start: a.range.start, end: a.range.end + 1 } },
      { code: 'tag-moved', severity: 'warning', message: 'redis moved', range: b.range },
    ];
    const [file] = buildTree([d], service({}), () => findings, OFF).files;
    assert.deepEqual(file.references.map((r) => r.findings.map((f) => f.message)), [['nginx unpinned'], ['redis unsigned', 'redis moved']]);
    assert.deepEqual(file.references[1].findings[0], { code: 'unsigned', severity: 'error', message: 'redis unsigned' });
    assert.equal(file.references[1].summary, 'unpinned · redis unsigned');
  });

  test('findingsOf is called with each document’s own uri and analysis', () => {
    const d1 = doc('file:///ws/b.yaml', 'compose', 'services:\n  a:\n    image: nginx:1.25\n');
    const d2 = doc('file:///ws/a.yaml', 'compose', 'services:\n  a:\n    image: redis\n');
    const seen: string[] = [];
    buildTree([d1, d2], service({}), (uri, d) => {
      assert.equal(d.uri, uri);
      seen.push(uri);
      return [];
    }, OFF);
    assert.deepEqual(seen.sort(), ['file:///ws/a.yaml', 'file:///ws/b.yaml']);
  });

  test('settings applied by findingsOf show through (a suppressed finding is absent)', () => {
    const uri = 'file:///ws/compose.yaml';
    const d = doc(uri, 'compose', 'services:\n  a:\n    image: nginx:1.25 # image-trust: ignore unpinned-tag\n  b:\n    image: redis\n');
    const svc = service({});
    const [file] = buildTree([d], svc, findingsFrom(svc), OFF).files;
    assert.deepEqual(file.references.map((r) => r.findings.map((f) => f.code)), [[], ['implicit-latest']]);
  });
});

describe('buildTree: branch comparison', () => {
  test('`changed` comes from the comparison per reference, with the document’s uri and lines', () => {
    const uri = 'file:///ws/compose.yaml';
    const d = doc(uri, 'compose', 'services:\n  a:\n    image: nginx:1.25\n  b:\n    image: redis:7\n');
    const calls: string[] = [];
    const branch: BranchComparison = {
      ref: 'origin/main',
      changed: (u, ref, lines) => {
        assert.equal(lines, d.lines);
        calls.push(`${u} ${ref.reference}`);
        return ref.reference === 'redis:7';
      },
    };
    const tree = buildTree([d], service({}), () => [], branch);
    assert.deepEqual(tree.files[0].references.map((r) => r.changed), [false, true]);
    assert.deepEqual(calls, [`${uri} nginx:1.25`, `${uri} redis:7`]);
    assert.equal(tree.compareWith, 'origin/main');
  });

  test('a failed comparison: its error next to compareWith, `changed` null', () => {
    const d = doc('file:///ws/compose.yaml', 'compose', 'services:\n  a:\n    image: nginx:1.25\n');
    const tree = buildTree([d], service({}), () => [], { ref: 'origin/nope', error: 'unknown revision origin/nope', changed: () => null });
    assert.equal(tree.compareWith, 'origin/nope');
    assert.equal(tree.compareError, 'unknown revision origin/nope');
    assert.equal(tree.files[0].references[0].changed, null);
  });
});
