// Table tests of each admission engine's own name normalization and pattern semantics, written from the engines'
// sources (Kyverno: pkg/utils/image/infos.go, ext/wildcard = IGLOU-EU/go-wildcard v1.0.3, pkg/utils/kube/kind.go,
// pkg/autogen/v1; policy-controller: pkg/apis/glob/glob.go, go-containerregistry v0.21.3 pkg/name). Own cases.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { autogenControllers, guessResource, kindMatches, kyvernoFailureAction, kyvernoRuleVariants, parseKindSelector, ruleMatches, selectorMatches } from '../../server/src/core/admission/match';
import { ggcrParseReference, kyvernoImage, kyvernoWildcard, policyControllerGlobMatch, policyControllerResolved } from '../../server/src/core/admission/names';
import { readAdmissionPolicies } from '../../server/src/core/admission/read';
import type { KyvernoPolicy, ResourceInfo } from '../../server/src/core/admission/types';

const D = `sha256:${'a'.repeat(64)}`;

describe('Kyverno image strings (GetImageInfo + String)', () => {
  const table: [written: string, expected: string][] = [
    ['nginx', 'docker.io/nginx:latest'],
    ['nginx:1.25', 'docker.io/nginx:1.25'],
    ['library/nginx:1.25', 'docker.io/library/nginx:1.25'],
    ['acme/app:v1', 'docker.io/acme/app:v1'],
    ['docker.io/nginx:1.25', 'docker.io/nginx:1.25'],
    ['index.docker.io/library/nginx', 'index.docker.io/library/nginx:latest'],
    ['ghcr.io/acme/app:v1', 'ghcr.io/acme/app:v1'],
    [`ghcr.io/acme/app:v1@${D}`, `ghcr.io/acme/app@${D}`],
    [`nginx@${D}`, `docker.io/nginx@${D}`],
    ['localhost/app:dev', 'localhost/app:dev'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    ['GHCR.IO/acme/app:v1', 'GHCR.IO/acme/app:v1'],
    ['ghcr.io:443/acme/app:v1', 'ghcr.io:443/acme/app:v1'],
  ];
  for (const [written, expected] of table) test(`${written} → ${expected}`, () => assert.equal(kyvernoImage(written).string, expected));
  test('a configured defaultRegistry replaces docker.io', () => assert.equal(kyvernoImage('nginx:1', 'mirror.example.com').string, 'mirror.example.com/nginx:1'));
});

describe('Kyverno wildcards (go-wildcard v1.0.3)', () => {
  const table: [pattern: string, name: string, expected: boolean][] = [
    ['ghcr.io/acme/*', 'ghcr.io/acme/app:v1', true],
    ['ghcr.io/acme/*', 'ghcr.io/acme/team/app:v1', true], // * crosses '/'
    ['ghcr.io/acme/*', `ghcr.io/acme/app@${D}`, true],
    ['ghcr.io/acme/app', 'ghcr.io/acme/app:v1', false], // the whole string must match (tag included)
    ['ghcr.io/acme/app:*', 'ghcr.io/acme/app:v1', true],
    ['ghcr.io/acme/app:*', `ghcr.io/acme/app@${D}`, false], // with a digest the string has no tag
    ['ghcr.io/acme/app*', `ghcr.io/acme/app@${D}`, true],
    ['ghcr.io/acme/ap?:v1', 'ghcr.io/acme/app:v1', true],
    ['ghcr.io/acme/ap?:v1', 'ghcr.io/acme/ap:v1', false], // ? is exactly one character
    ['ghcr.io/acme/app?', 'ghcr.io/acme/app', false],
    ['ghcr?io/*', 'ghcr.io/x:1', true],
    ['ghcr.io/*', 'ghcrXio/x:1', false], // . is literal (go-wildcard v1; v2 would make it a wildcard, cf. kyverno#10906)
    ['*', '', true],
    ['', '', true],
    ['', 'x', false],
    ['nginx:*', 'docker.io/nginx:1.25', false], // patterns are not normalized
    ['docker.io/nginx:*', 'docker.io/nginx:1.25', true],
    ['docker.io/library/nginx:*', 'docker.io/nginx:1.25', false], // Kyverno adds no library/
    ['GHCR.IO/*', 'ghcr.io/a:1', false], // case-sensitive
    ['*/*/*/*/*/*/*/*/*/*/*b', `${'a/'.repeat(40)}a`, false], // no exponential backtracking
  ];
  for (const [p, n, e] of table) test(`${JSON.stringify(p)} ${e ? 'matches' : 'does not match'} ${JSON.stringify(n.slice(0, 40))}`, () => assert.equal(kyvernoWildcard(p, n), e));
});

describe('go-containerregistry names (v0.21.3, WeakValidation)', () => {
  const table: [written: string, name: string | null][] = [
    ['nginx', 'index.docker.io/library/nginx:latest'],
    ['nginx:1.25', 'index.docker.io/library/nginx:1.25'],
    ['docker.io/nginx:1.25', 'index.docker.io/library/nginx:1.25'],
    ['acme/app', 'index.docker.io/acme/app:latest'],
    ['registry-1.docker.io/library/nginx', 'registry-1.docker.io/library/nginx:latest'], // only docker.io is rewritten
    ['localhost/app', 'index.docker.io/localhost/app:latest'], // v0.21.3: localhost without a port is a Docker Hub namespace
    ['localhost:5000/app:v1', 'localhost:5000/app:v1'],
    [`ghcr.io/acme/app:v1@${D}`, `ghcr.io/acme/app@${D}`],
    [`nginx@${D}`, `index.docker.io/library/nginx@${D}`],
    ['ghcr.io/Acme/app', null], // repositories are lower-case
    [`ghcr.io/acme/app@sha512:${'a'.repeat(128)}`, null], // only sha256
  ];
  for (const [w, n] of table) test(`${w} → ${n}`, () => assert.equal(ggcrParseReference(w)?.name ?? null, n));
  test('tag resolution keeps the tag and appends the digest', () => {
    assert.equal(policyControllerResolved('nginx:1.25', D), `index.docker.io/library/nginx:1.25@${D}`);
    assert.equal(policyControllerResolved(`ghcr.io/acme/app@${D}`, D), `ghcr.io/acme/app@${D}`);
  });
});

describe('policy-controller globs (glob.Match against name@digest)', () => {
  const img = (s: string) => `${s}@${D}`;
  const table: [glob: string, image: string, expected: boolean | 'invalid'][] = [
    ['ghcr.io/acme/*', img('ghcr.io/acme/app'), true], // '*' takes 'app@sha256:…' (no '/')
    ['ghcr.io/acme/*', img('ghcr.io/acme/team/app'), false], // '*' does not cross '/'
    ['ghcr.io/acme/**', img('ghcr.io/acme/team/app'), true],
    ['ghcr.io/acme/app', img('ghcr.io/acme/app'), false], // whole string: the digest is part of it
    ['ghcr.io/acme/app*', img('ghcr.io/acme/app'), true],
    ['ghcr.io/acme/app:*', img('ghcr.io/acme/app'), false], // the tag is dropped once there is a digest
    ['*', img('nginx'), true], // bare '*' = index.docker.io/library/*
    ['*', img('ghcr.io/acme/app'), false],
    ['*/*', img('acme/app'), true],
    ['index.docker.io/library/*', img('docker.io/nginx'), true],
    ['docker.io/library/*', img('nginx'), false], // Name() says index.docker.io
    ['ghcr.io/acme/ap?', img('ghcr.io/acme/app'), 'invalid'], // '?' is not a glob character here
    ['ghcr.io/acme/[ab]pp', img('ghcr.io/acme/app'), 'invalid'],
    ['ghcrXio/**', img('ghcr.io/acme/app'), false], // '.' is literal
    ['**', img('registry.example.com/a/b/c'), true],
  ];
  for (const [g, i, e] of table) {
    test(`${g} vs ${i.slice(0, 40)} → ${e}`, () => {
      const r = policyControllerGlobMatch(g, i);
      if (e === 'invalid') assert.equal(typeof r, 'string');
      else assert.equal(r, e);
    });
  }
});

describe('Kyverno kinds, selectors, resources', () => {
  test('kind selectors', () => {
    assert.deepEqual(parseKindSelector('Pod'), ['*', '*', 'Pod', '']);
    assert.deepEqual(parseKindSelector('v1/Pod'), ['*', 'v1', 'Pod', '']);
    assert.deepEqual(parseKindSelector('apps/v1/Deployment'), ['apps', 'v1', 'Deployment', '']);
    assert.deepEqual(parseKindSelector('Pod/ephemeralcontainers'), ['*', '*', 'Pod', 'ephemeralcontainers']);
    assert.equal(kindMatches(['Pod'], 'v1', 'Pod'), true);
    assert.equal(kindMatches(['apps/v1/Deployment'], 'apps/v1', 'Deployment'), true);
    assert.equal(kindMatches(['batch/*/Deployment'], 'apps/v1', 'Deployment'), false);
    assert.equal(kindMatches(['*'], 'apps/v1', 'Deployment'), true);
    assert.equal(kindMatches(['Pod/exec'], 'v1', 'Pod'), false);
  });
  test('label selectors', () => {
    assert.equal(selectorMatches({ matchLabels: { app: 'web' } }, { app: 'web', x: 'y' }), true);
    assert.equal(selectorMatches({ matchLabels: { app: 'w*' } }, { app: 'web' }), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['dev'] }] }, { tier: 'prod' }), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, {}), false);
  });
  test('resource plural names (UnsafeGuessKindToResource)', () => {
    assert.equal(guessResource('Pod'), 'pods');
    assert.equal(guessResource('Deployment'), 'deployments');
    assert.equal(guessResource('Policy'), 'policies');
    assert.equal(guessResource('Ingress'), 'ingresses');
  });
});

function policy(yaml: string): KyvernoPolicy {
  const set = readAdmissionPolicies([{ file: '/ws/p.yaml', text: yaml }]);
  assert.equal(set.kyverno.length, 1, JSON.stringify(set.problems));
  return set.kyverno[0];
}

const res = (kind: string, apiVersion: string, namespace: string | null, extra: Partial<ResourceInfo> = {}): ResourceInfo => ({ kind, apiVersion, name: 'web', namespace, labels: {}, annotations: {}, ...extra });

const POD_POLICY = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: { name: check-images }
spec:
  validationFailureAction: Enforce
  rules:
    - name: verify
      match:
        any:
          - resources: { kinds: [Pod], namespaces: ["prod-*"] }
      exclude:
        any:
          - resources: { kinds: [Pod], namespaces: [prod-sandbox] }
      verifyImages:
        - imageReferences: ["ghcr.io/acme/*"]
          attestors: [{ entries: [{ keys: { publicKeys: "-----BEGIN PUBLIC KEY-----\\nMFk=\\n-----END PUBLIC KEY-----" } }] }]
`;

describe('Kyverno match, exclude, autogen, namespaced Policy', () => {
  const p = policy(POD_POLICY);
  const variants = kyvernoRuleVariants(p);
  const decide = (r: ResourceInfo) => variants.filter((v) => ruleMatches(p, v, r, r.namespace ?? 'default') === true).map((v) => v.name);
  test('autogen copies a Pod rule to the pod controllers, CronJob separately', () => {
    assert.deepEqual(variants.map((v) => v.name), ['verify', 'autogen-verify', 'autogen-cronjob-verify']);
    assert.deepEqual(autogenControllers(p), ['DaemonSet', 'Deployment', 'Job', 'StatefulSet', 'ReplicaSet', 'ReplicationController', 'CronJob']);
  });
  const table: [ResourceInfo, string[]][] = [
    [res('Pod', 'v1', 'prod-eu'), ['verify']],
    [res('Deployment', 'apps/v1', 'prod-eu'), ['autogen-verify']],
    [res('CronJob', 'batch/v1', 'prod-eu'), ['autogen-cronjob-verify']],
    [res('Pod', 'v1', 'staging'), []],
    [res('Pod', 'v1', 'prod-sandbox'), []], // excluded
    [res('Deployment', 'apps/v1', 'prod-sandbox'), []], // the exclusion is copied too
    [res('Service', 'v1', 'prod-eu'), []],
  ];
  for (const [r, names] of table) test(`${r.kind} in ${r.namespace} → ${names.join(', ') || 'no rule'}`, () => assert.deepEqual(decide(r), names));

  test('a name in match turns autogen off for the whole policy', () => {
    const q = policy(POD_POLICY.replace('namespaces: ["prod-*"] }', 'namespaces: ["prod-*"], names: [web] }'));
    assert.deepEqual(kyvernoRuleVariants(q).map((v) => v.name), ['verify']);
  });
  test('the autogen annotation picks controllers; none turns it off', () => {
    const q = policy(POD_POLICY.replace('metadata: { name: check-images }', 'metadata: { name: check-images, annotations: { pod-policies.kyverno.io/autogen-controllers: Deployment } }'));
    const v = kyvernoRuleVariants(q);
    assert.deepEqual(v.map((x) => x.name), ['verify', 'autogen-verify']);
    assert.equal(ruleMatches(q, v[1], res('StatefulSet', 'apps/v1', 'prod-eu'), 'prod-eu'), false);
    const n = policy(POD_POLICY.replace('metadata: { name: check-images }', 'metadata: { name: check-images, annotations: { pod-policies.kyverno.io/autogen-controllers: none } }'));
    assert.deepEqual(kyvernoRuleVariants(n).map((x) => x.name), ['verify']);
  });
  test('a namespaced Policy applies only in its own namespace', () => {
    const q = policy(POD_POLICY.replace('kind: ClusterPolicy', 'kind: Policy').replace('metadata: { name: check-images }', 'metadata: { name: check-images, namespace: prod-eu }'));
    const v = kyvernoRuleVariants(q);
    assert.equal(ruleMatches(q, v[0], res('Pod', 'v1', 'prod-eu'), 'prod-eu'), true);
    assert.equal(ruleMatches(q, v[0], res('Pod', 'v1', 'prod-us'), 'prod-us'), false);
  });
  test('subjects in match cannot be decided by a preview', () => {
    const q = policy(POD_POLICY.replace('- resources: { kinds: [Pod], namespaces: ["prod-*"] }', '- resources: { kinds: [Pod] }\n            subjects: [{ kind: User, name: alice }]'));
    assert.deepEqual(ruleMatches(q, kyvernoRuleVariants(q)[0], res('Pod', 'v1', 'x'), 'x'), { unknown: 'subjects (who applies the manifest)' });
  });
  test('failure action: the entry, then the namespace override, then the policy', () => {
    assert.equal(kyvernoFailureAction(p, p.rules[0], 'prod-eu').action, 'Enforce');
    const q = policy(POD_POLICY.replace('validationFailureAction: Enforce', 'validationFailureAction: Enforce\n  validationFailureActionOverrides: [{ action: Audit, namespaces: ["prod-eu"] }]'));
    assert.equal(kyvernoFailureAction(q, q.rules[0], 'prod-eu').action, 'Audit');
    assert.equal(kyvernoFailureAction(q, q.rules[0], 'prod-us').action, 'Enforce');
    const r = policy(POD_POLICY.replace('- imageReferences:', '- failureAction: Audit\n          imageReferences:'));
    assert.equal(kyvernoFailureAction(r, r.rules[0], 'prod-eu').action, 'Audit');
  });
});

describe('policy readers', () => {
  test('several keys in one entry are several entries (count applies across them)', () => {
    const pem = (n: string) => `-----BEGIN PUBLIC KEY-----\\n${n}\\n-----END PUBLIC KEY-----`;
    const p = policy(POD_POLICY.replace(/publicKeys: "[^"]+"/, `publicKeys: "${pem('MFk=')}\\n${pem('MFl=')}"`).replace('[{ entries:', '[{ count: 2, entries:'));
    const set = p.rules[0].verifyImages[0].attestors[0];
    assert.equal(set.count, 2);
    assert.deepEqual(set.entries.map((e) => e.kind), ['key', 'key']);
  });
  test('malformed and unsupported parts become problems at their place', () => {
    const text = `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata: { name: cip }
spec:
  mode: block
  images: [{ glob: "ghcr.io/acme/ap?" }]
  authorities:
    - key: { kms: "gcpkms://projects/p/keys/k" }
    - keyless: { identities: [{ issuer: "https://token.actions.githubusercontent.com", subjectRegExp: "(" }] }
---
apiVersion: policies.kyverno.io/v1beta1
kind: ImageValidatingPolicy
metadata: { name: ivpol }
spec: {}
`;
    const set = readAdmissionPolicies([{ file: '/ws/cip.yaml', text }]);
    const messages = set.problems.map((p) => `${p.severity}: ${p.message} @${text.slice(p.site.range.start, p.site.range.end).split('\n')[0]}`);
    assert.ok(messages.some((m) => m.startsWith('error: mode must be enforce or warn') && m.endsWith('@block')), messages.join('\n'));
    assert.ok(messages.some((m) => m.includes('invalid glob') && m.endsWith('@"ghcr.io/acme/ap?"')), messages.join('\n'));
    assert.ok(messages.some((m) => m.includes('subjectRegExp is not a valid regular expression')), messages.join('\n'));
    assert.ok(messages.some((m) => m.includes('KMS')), messages.join('\n'));
    assert.equal(set.imageValidating.length, 1);
    assert.ok(messages.some((m) => m.startsWith('error: ImageValidatingPolicy ivpol has no validationActions')), messages.join('\n'));
    assert.ok(messages.some((m) => m.startsWith('error: ImageValidatingPolicy ivpol has no validations')), messages.join('\n'));
    assert.equal(set.policyController[0].authorities[0].unsupported.length, 1);
  });
  test('a Secret in the workspace supplies a key; a missing one is not evaluated', () => {
    const secret = `apiVersion: v1\nkind: Secret\nmetadata: { name: cosign-key, namespace: kyverno }\nstringData: { cosign.pub: "-----BEGIN PUBLIC KEY-----\\nMFk=\\n-----END PUBLIC KEY-----" }\n`;
    const p1 = POD_POLICY.replace(/publicKeys: "[^"]+"/, 'publicKeys: "k8s://kyverno/cosign-key"');
    const withSecret = readAdmissionPolicies([{ file: '/ws/p.yaml', text: p1 }, { file: '/ws/s.yaml', text: secret }]);
    assert.equal(withSecret.kyverno[0].rules[0].verifyImages[0].attestors[0].entries[0].kind, 'key');
    const without = readAdmissionPolicies([{ file: '/ws/p.yaml', text: p1 }]);
    const e = without.kyverno[0].rules[0].verifyImages[0].attestors[0].entries[0];
    assert.equal(e.kind, 'unsupported');
    assert.match((e as { why: string }).why, /Secret kyverno\/cosign-key, which is not in the workspace/);
  });
  test('config-policy-controller sets no-match-policy; OpenShift ClusterImagePolicy is another schema', () => {
    const set = readAdmissionPolicies([
      { file: '/ws/cm.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: config-policy-controller, namespace: cosign-system }\ndata: { no-match-policy: warn }\n' },
      { file: '/ws/ocp.yaml', text: 'apiVersion: config.openshift.io/v1\nkind: ClusterImagePolicy\nmetadata: { name: x }\nspec: { scopes: [quay.io] }\n' },
    ]);
    assert.equal(set.pcConfig?.noMatchPolicy, 'warn');
    assert.equal(set.policyController.length, 0);
  });
});
