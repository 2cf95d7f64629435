// Kyverno ImageValidatingPolicy matching, table-driven from the engine's sources: gobwas/glob without separators
// (pkg/cel/compiler CompileMatchImageReference), matchConstraints with Pod autogen for pod controllers, the
// built-in image extractors per kind, and what reading an attestor makes of features the preview does not evaluate.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { extractImages, gobwasGlobRegExp, ivResourceMatches } from '../../server/src/core/admission/ivpol';
import { readAdmissionPolicies } from '../../server/src/core/admission/read';
import type { ResourceInfo } from '../../server/src/core/admission/types';

describe('gobwas/glob (no separators): what matchImageReferences globs match', () => {
  const cases: [string, string, boolean][] = [
    ['ghcr.io/acme/*', 'ghcr.io/acme/app:1.0', true],
    // No separators: `*` crosses `/`.
    ['ghcr.io/acme/*', 'ghcr.io/acme/team/app@sha256:abc', true],
    ['ghcr.io/*/app*', 'ghcr.io/x/y/app:1', true],
    ['ghcr.io/acme/app', 'ghcr.io/acme/app:1.0', false],
    ['ghcr.io/acme/ap?', 'ghcr.io/acme/app', true],
    ['ghcr.io/acme/ap?', 'ghcr.io/acme/ap', false],
    // `.` is literal.
    ['ghcr.io/*', 'ghcrxio/a', false],
    ['{ghcr.io,quay.io}/acme/*', 'quay.io/acme/x', true],
    ['{ghcr.io,quay.io}/acme/*', 'docker.io/acme/x', false],
    ['ghcr.io/acme/[ab]pp', 'ghcr.io/acme/bpp', true],
    ['ghcr.io/acme/[!ab]pp', 'ghcr.io/acme/bpp', false],
    ['ghcr.io/acme/[a-c]pp', 'ghcr.io/acme/cpp', true],
    ['ghcr.io/acme/app\\*', 'ghcr.io/acme/app*', true],
    ['ghcr.io/acme/app\\*', 'ghcr.io/acme/appx', false],
    // Whole string.
    ['acme/*', 'ghcr.io/acme/app', false],
    ['*', 'anything/at:all@sha256:1', true],
  ];
  for (const [glob, image, want] of cases) test(`${glob} ${want ? 'matches' : 'does not match'} ${image}`, () => assert.equal(gobwasGlobRegExp(glob)!.test(image), want));
  test('malformed globs are refused (the engine refuses the policy)', () => {
    for (const g of ['ghcr.io/[abc', 'ghcr.io/{a,b', 'x\\']) assert.equal(gobwasGlobRegExp(g), null, g);
  });
});

const res = (kind: string, apiVersion: string, namespace: string | null = 'apps', labels: Record<string, string> = {}): ResourceInfo => ({ apiVersion, kind, name: 'x', namespace, labels, annotations: {} });

function policy(spec: string, kind = 'ImageValidatingPolicy', ns = '') {
  const text = `apiVersion: policies.kyverno.io/v1\nkind: ${kind}\nmetadata: { name: p${ns ? `, namespace: ${ns}` : ''} }\nspec:\n  validationActions: [Deny]\n  validations: [{ expression: "true" }]\n${spec}`;
  return readAdmissionPolicies([{ file: '/p.yaml', text }]);
}

describe('matchConstraints (operation CREATE), autogen, exclude, objectSelector, namespaced policies', () => {
  const pods = '  matchConstraints:\n    resourceRules: [{ apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods] }]\n';
  const p = policy(pods).imageValidating[0];
  test('a Pod rule covers Pods and, through autogen, every pod controller', () => {
    assert.equal(ivResourceMatches(p, res('Pod', 'v1'), 'apps'), true);
    for (const [kind, av] of [['Deployment', 'apps/v1'], ['StatefulSet', 'apps/v1'], ['DaemonSet', 'apps/v1'], ['ReplicaSet', 'apps/v1'], ['Job', 'batch/v1'], ['CronJob', 'batch/v1']]) assert.equal(ivResourceMatches(p, res(kind, av), 'apps'), true, kind);
    assert.equal(ivResourceMatches(p, res('Service', 'v1'), 'apps'), false);
  });
  test('autogen.podControllers.controllers narrows the controllers', () => {
    const q = policy(`${pods}  autogen: { podControllers: { controllers: [deployments] } }\n`).imageValidating[0];
    assert.equal(ivResourceMatches(q, res('Deployment', 'apps/v1'), 'apps'), true);
    assert.equal(ivResourceMatches(q, res('CronJob', 'batch/v1'), 'apps'), false);
  });
  test('UPDATE-only rules do not see a manifest being created; excludeResourceRules win', () => {
    const upd = policy('  matchConstraints:\n    resourceRules: [{ apiGroups: [""], apiVersions: [v1], operations: [UPDATE], resources: [pods] }]\n').imageValidating[0];
    assert.equal(ivResourceMatches(upd, res('Pod', 'v1'), 'apps'), false);
    const ex = policy('  matchConstraints:\n    resourceRules: [{ apiGroups: ["*"], apiVersions: ["*"], operations: ["*"], resources: ["*"] }]\n    excludeResourceRules: [{ apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments] }]\n').imageValidating[0];
    assert.equal(ivResourceMatches(ex, res('StatefulSet', 'apps/v1'), 'apps'), true);
    assert.equal(ivResourceMatches(ex, res('Deployment', 'apps/v1'), 'apps'), false);
  });
  test('objectSelector on labels; a namespaced policy only in its namespace; no matchConstraints, no match', () => {
    const sel = policy(`${pods}    objectSelector: { matchLabels: { team: a } }\n`).imageValidating[0];
    assert.equal(ivResourceMatches(sel, res('Pod', 'v1', 'apps', { team: 'a' }), 'apps'), true);
    assert.equal(ivResourceMatches(sel, res('Pod', 'v1', 'apps', { team: 'b' }), 'apps'), false);
    const nsd = policy(pods, 'NamespacedImageValidatingPolicy', 'team-a').imageValidating[0];
    assert.equal(ivResourceMatches(nsd, res('Pod', 'v1', 'team-a'), 'team-a'), true);
    assert.equal(ivResourceMatches(nsd, res('Pod', 'v1', 'team-b'), 'team-b'), false);
    assert.equal(ivResourceMatches(policy('').imageValidating[0], res('Pod', 'v1'), 'apps'), false);
  });
  test('a namespaceSelector is not evaluated (the namespace\'s labels are not in the repository)', () => {
    const q = policy(`${pods}    namespaceSelector: { matchLabels: { env: prod } }\n`).imageValidating[0];
    assert.match(q.unsupported.join(), /namespaceSelector/);
  });
});

test('built-in image extractors per kind', () => {
  const containers = { containers: [{ image: 'a' }], initContainers: [{ image: 'b' }], ephemeralContainers: [{ image: 'c' }] };
  const want = new Map([['containers', ['a']], ['initContainers', ['b']], ['ephemeralContainers', ['c']]]);
  assert.deepEqual(extractImages({ spec: containers }, 'Pod'), want);
  assert.deepEqual(extractImages({ spec: { template: { spec: containers } } }, 'Deployment'), want);
  assert.deepEqual(extractImages({ spec: { jobTemplate: { spec: { template: { spec: containers } } } } }, 'CronJob'), want);
  assert.deepEqual(extractImages({ spec: {} }, 'Pod'), new Map([['containers', []], ['initContainers', []], ['ephemeralContainers', []]]));
});

test('attestors: what is evaluated, and why the rest is not', () => {
  const set = policy(`  attestors:
    - { name: key, cosign: { key: { data: "-----BEGIN PUBLIC KEY-----\\nMFk=\\n-----END PUBLIC KEY-----" }, ctlog: { insecureIgnoreTlog: true } } }
    - { name: keyless, cosign: { keyless: { identities: [{ issuer: i, subjectRegExp: "^s" }] } } }
    - { name: notary, notary: { certs: { value: "-----BEGIN CERTIFICATE-----\\nx\\n-----END CERTIFICATE-----" } } }
    - { name: kms, cosign: { key: { kms: "gcpkms://k" } } }
    - { name: expr, notary: { certs: { expression: "variables.certs" } } }
    - { name: roots, cosign: { keyless: { identities: [{ issuer: i, subject: s }], roots: "PEM" } } }
    - { name: cert, cosign: { certificate: { cert: { value: "PEM" } } } }
  attestations: [{ name: sbom, referrer: { type: "application/spdx+json" } }, { name: slsa, intoto: { type: "https://slsa.dev/provenance/v1" } }]
`);
  const a = set.imageValidating[0].attestors;
  assert.deepEqual(a.map((x) => [x.name, x.kind]), [['key', 'cosign-key'], ['keyless', 'cosign-keyless'], ['notary', 'notary'], ['kms', 'unsupported'], ['expr', 'unsupported'], ['roots', 'unsupported'], ['cert', 'unsupported']]);
  assert.equal(a[0].kind === 'cosign-key' && a[0].requireTlog, false);
  assert.deepEqual(a.slice(3).map((x) => x.kind === 'unsupported' && x.why), ['the key is in a KMS (gcpkms://k)', 'notary.certs is a CEL expression (resolved only in the cluster)', 'keyless with custom roots', 'certificate attestors']);
  assert.deepEqual(set.imageValidating[0].attestations.map((x) => [x.name, x.kind]), [['sbom', 'referrer'], ['slsa', 'intoto']]);
  assert.deepEqual(set.imageValidating[0].actions, ['Deny']);
  assert.equal(set.imageValidating[0].mutateDigest && set.imageValidating[0].verifyDigest && set.imageValidating[0].required, true);
});
