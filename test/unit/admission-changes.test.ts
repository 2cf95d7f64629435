// New admission denials of a change (core/admission/changes.ts): which working-tree denials the merge base lacks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDenial, newResults, type EvaluatedReference } from '../../server/src/core/admission/changes';
import type { AdmissionResult, ResourceInfo } from '../../server/src/core/admission/types';

const res = (name: string, namespace: string | null = 'apps'): ResourceInfo => ({ apiVersion: 'v1', kind: 'Pod', name, namespace, labels: {}, annotations: {} });
const result = (over: Partial<AdmissionResult>): AdmissionResult => ({
  engine: 'kyverno',
  policy: 'ClusterPolicy/signed',
  rule: 'verify',
  result: 'denied',
  reason: 'admission-no-signature',
  message: 'denied (Enforce): no Cosign signature found',
  expected: null,
  observed: null,
  rewrite: null,
  site: { file: '/p.yaml', range: { start: 0, end: 1 } },
  ...over,
});
const at = <T>(item: T, reference: string, results: AdmissionResult[], resource = res('a'), path = 'k8s/a.yaml'): EvaluatedReference<T> => ({ item, site: { path, reference, resource }, outcome: { results, resource } });

test('denials: Enforce denials and no-match-policy deny; not audit, error, not-evaluated, warn', () => {
  assert.equal(isDenial(result({})), true);
  assert.equal(isDenial(result({ result: 'audit' })), false);
  assert.equal(isDenial(result({ result: 'error', reason: 'admission-registry-error' })), false);
  assert.equal(isDenial(result({ result: 'not-evaluated', reason: 'admission-not-evaluated' })), false);
  assert.equal(isDenial(result({ engine: 'policy-controller', result: 'no-policy-matched', reason: 'admission-no-match', message: 'denied: no ClusterImagePolicy matches x; no-match-policy is deny' })), true);
  assert.equal(isDenial(result({ engine: 'policy-controller', result: 'no-policy-matched', reason: 'admission-no-match', message: 'warning: no ClusterImagePolicy matches x; no-match-policy is warn' })), false);
});

test('a denial the merge base already had is not new; another reason for the same denial is not new either', () => {
  const base = [at(null, 'r/a@sha256:1', [result({ reason: 'admission-no-signature' })])];
  const now = [at('A', 'r/a@sha256:1', [result({ reason: 'admission-identity-mismatch' })])];
  assert.deepEqual(newResults(now, base), []);
});

test('new: a changed reference, another policy or rule, another resource, a previously admitted image', () => {
  const base = [at(null, 'r/a@sha256:1', [result({})]), at(null, 'r/b@sha256:2', [result({ result: 'admitted', reason: null })])];
  const now = [
    at('digest bumped', 'r/a@sha256:9', [result({})]),
    at('other policy', 'r/a@sha256:1', [result({}), result({ policy: 'ClusterPolicy/other' })]),
    at('other rule', 'r/a@sha256:1', [result({ rule: 'autogen-verify' })], res('a')),
    at('other resource', 'r/a@sha256:1', [result({})], res('b')),
    at('was admitted', 'r/b@sha256:2', [result({})]),
  ];
  const out = newResults(now, base);
  assert.deepEqual(out.map((x) => [x.item, x.results.map((r) => r.policy)]), [
    ['digest bumped', ['ClusterPolicy/signed']],
    ['other policy', ['ClusterPolicy/other']],
    ['other rule', ['ClusterPolicy/signed']],
    ['other resource', ['ClusterPolicy/signed']],
    ['was admitted', ['ClusterPolicy/signed']],
  ]);
});

test('policy-controller: the deciding authority may change, the denial by the same ClusterImagePolicy is not new', () => {
  const pc = (rule: string) => result({ engine: 'policy-controller', policy: 'ClusterImagePolicy/acme', rule });
  assert.deepEqual(newResults([at('x', 'r/a@sha256:1', [pc('keyless')])], [at(null, 'r/a@sha256:1', [pc('key')])]), []);
});

test('counted: one of two identical denied references in the same resource is new', () => {
  const base = [at(null, 'r/a@sha256:1', [result({})])];
  const now = [at('first', 'r/a@sha256:1', [result({})]), at('second', 'r/a@sha256:1', [result({})])];
  assert.deepEqual(newResults(now, base).map((x) => x.item), ['second']);
});

test('a manifest without a namespace is the same resource as one in "default"', () => {
  const base = [at(null, 'r/a@sha256:1', [result({})], res('a', 'default'))];
  assert.deepEqual(newResults([at('x', 'r/a@sha256:1', [result({})], res('a', null))], base), []);
});

test('other results that are not "admitted" are compared by kind: a new error or audit violation is new, a denial turned error too', () => {
  const base = [at(null, 'r/a@sha256:1', [result({})])];
  const now = [at('x', 'r/a@sha256:1', [result({ result: 'error', reason: 'admission-registry-error' }), result({ policy: 'ClusterPolicy/audit', result: 'audit' })])];
  assert.deepEqual(newResults(now, base)[0].results.map((r) => r.result), ['error', 'audit']);
  assert.deepEqual(newResults([at('x', 'r/a@sha256:1', [result({ result: 'admitted', reason: null })])], base), []);
});
