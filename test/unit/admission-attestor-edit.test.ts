// "Add an attestor for this signer": minimal insertions into Kyverno attestor sets, policy-controller identities and
// `.image-trust.yaml` signers, block and flow style; every byte of the original stays, the result reads back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { applyInsertions, kyvernoAttestorEdit, policyControllerIdentityEdit, trustPolicySignerEdit, type AttestorEdit } from '../../server/src/core/admission/attestor-edit';
import { readAdmissionPolicies } from '../../server/src/core/admission/read';
import type { AttestorTarget } from '../../server/src/core/admission/types';
import { loadPolicy } from '../../server/src/core/policy';

const SIGNER = { subject: 'https://github.com/mallory/app/.github/workflows/release.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com' };

function kyverno(attestors: string): string {
  return [
    '# Signed images only.',
    'apiVersion: kyverno.io/v1',
    'kind: ClusterPolicy',
    'metadata: { name: signed }',
    'spec:',
    '  rules:',
    '    - name: verify',
    '      match: { any: [{ resources: { kinds: [Pod] } }] }',
    '      verifyImages:',
    '        - imageReferences: ["ghcr.io/acme/*"]',
    attestors,
    '---',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata: { name: unrelated }',
    '',
  ].join('\n');
}

const set = (text: string, i = 0): AttestorTarget => ({ kind: 'kyverno-attestor-set', site: readAdmissionPolicies([{ file: '/p.yaml', text }]).kyverno[0].rules[0].verifyImages[0].attestors[i].site });

function applied(text: string, edit: AttestorEdit): string {
  assert.ok(!('error' in edit), 'error' in edit ? edit.error : '');
  const out = applyInsertions(text, edit.insertions);
  // Only insertions: removing them gives the original back, byte for byte.
  let back = out;
  for (const ins of [...edit.insertions].sort((a, b) => a.at - b.at).map((x, k, all) => ({ ...x, at: x.at + all.slice(0, k).reduce((n, y) => n + y.text.length, 0) })).reverse()) back = back.slice(0, ins.at) + back.slice(ins.at + ins.text.length);
  assert.equal(back, text);
  for (const d of parseAllDocuments(out)) assert.deepEqual(d.errors, [], out);
  return out;
}

const entriesOf = (text: string) => readAdmissionPolicies([{ file: '/p.yaml', text }]).kyverno[0].rules[0].verifyImages[0].attestors[0];

test('Kyverno, block style, one entry without count: count: 1 and a keyless entry with the sibling\'s Rekor settings', () => {
  const text = kyverno(['          attestors:', '            - entries:', '                - keyless:', '                    subject: "https://github.com/acme/*"', '                    issuer: https://token.actions.githubusercontent.com', '                    rekor: { url: https://rekor.example, ignoreTlog: false }   # our Rekor', '          mutateDigest: true'].join('\n'));
  const out = applied(text, kyvernoAttestorEdit(text, set(text), SIGNER));
  assert.ok(out.includes('            - count: 1\n              entries:\n'), out);
  assert.ok(out.includes('rekor: { url: https://rekor.example, ignoreTlog: false }   # our Rekor\n                - keyless:\n                    subject: '), out);
  const s = entriesOf(out);
  assert.equal(s.count, 1);
  assert.deepEqual(s.entries.map((e) => e.kind === 'keyless' && [e.subject, e.issuer]), [['https://github.com/acme/*', SIGNER.issuer], [SIGNER.subject, SIGNER.issuer]]);
  assert.match(out, /mutateDigest: true\n---\n/);
});

test('Kyverno, flow style: count: 1 and a flow entry before the closing bracket', () => {
  const text = kyverno('          attestors: [{ entries: [{ keyless: { subject: "https://github.com/acme/*", issuer: "https://token.actions.githubusercontent.com", rekor: { url: https://rekor.sigstore.dev } } }] }]');
  const out = applied(text, kyvernoAttestorEdit(text, set(text), SIGNER));
  assert.ok(out.includes('attestors: [{ count: 1, entries: [{ keyless: {'), out);
  assert.ok(out.includes(`} }, { keyless: { subject: ${SIGNER.subject}, issuer: ${SIGNER.issuer}, rekor: { url: https://rekor.sigstore.dev } } }] }]`), out);
  assert.equal(entriesOf(out).entries.length, 2);
});

test('Kyverno: a set with count keeps it; a set requiring all of several entries is not loosened', () => {
  const withCount = kyverno(['          attestors:', '            - count: 1', '              entries:', '                - keys: { publicKeys: "k8s://ns/a" }', '                - keyless: { subject: a, issuer: b, rekor: { url: https://r } }'].join('\n'));
  const out = applied(withCount, kyvernoAttestorEdit(withCount, set(withCount), SIGNER));
  assert.equal(entriesOf(out).count, 1);
  assert.equal(entriesOf(out).entries.length, 3);
  assert.ok(!out.includes('count: 1\n              count'), out);
  const allOf = kyverno(['          attestors:', '            - entries:', '                - keyless: { subject: a, issuer: b, rekor: { url: https://r } }', '                - keyless: { subject: c, issuer: d, rekor: { url: https://r } }'].join('\n'));
  const refused = kyvernoAttestorEdit(allOf, set(allOf), SIGNER);
  assert.ok('error' in refused && /requires all 2 entries/.test(refused.error));
});

test('Kyverno: an observed subject with wildcard characters goes in as an anchored subjectRegExp', () => {
  const text = kyverno('          attestors: [{ entries: [{ keyless: { subject: a, issuer: b, rekor: { url: https://r } } }] }]');
  const out = applied(text, kyvernoAttestorEdit(text, set(text), { subject: 'ci@acme.example?x=*', issuer: 'https://issuer' }));
  const e = entriesOf(out).entries[1];
  assert.equal(e.kind === 'keyless' && e.subjectRegExp, '^ci@acme\\.example\\?x=\\*$');
});

test('CRLF files get CRLF lines', () => {
  const text = kyverno(['          attestors:', '            - entries:', '                - keyless:', '                    subject: a', '                    issuer: b', '                    rekor: { url: https://r }'].join('\n')).replace(/\n/g, '\r\n');
  const out = applied(text, kyvernoAttestorEdit(text, set(text), SIGNER));
  assert.ok(!/[^\r]\n/.test(out), JSON.stringify(out));
});

test('a file changed since it was read: the site no longer holds the set, nothing is edited', () => {
  const text = kyverno('          attestors: [{ entries: [{ keyless: { subject: a, issuer: b, rekor: { url: https://r } } }] }]');
  const target = set(text);
  const edit = kyvernoAttestorEdit(`# new line\n${text}`, target, SIGNER);
  assert.ok('error' in edit);
});

test('policy-controller: an identity in the keyless authority, block and flow', () => {
  const cip = (identities: string) => ['apiVersion: policy.sigstore.dev/v1beta1', 'kind: ClusterImagePolicy', 'metadata: { name: acme }', 'spec:', '  images: [{ glob: "ghcr.io/acme/**" }]', '  authorities:', '    - name: actions', '      keyless:', '        url: https://fulcio.sigstore.dev', identities, ''].join('\n');
  for (const text of [cip('        identities:\n          - issuer: https://token.actions.githubusercontent.com\n            subjectRegExp: "^https://github\\\\.com/acme/"'), cip('        identities: [{ issuer: https://i, subject: s }]')]) {
    const target: AttestorTarget = { kind: 'pc-authority', site: readAdmissionPolicies([{ file: '/p.yaml', text }]).policyController[0].authorities[0].site };
    const out = applied(text, policyControllerIdentityEdit(text, target, SIGNER));
    const ids = readAdmissionPolicies([{ file: '/p.yaml', text: out }]).policyController[0].authorities[0].keyless!.identities;
    assert.equal(ids.length, 2);
    assert.deepEqual(ids[1], { issuer: SIGNER.issuer, subject: SIGNER.subject, issuerRegExp: undefined, subjectRegExp: undefined });
  }
});

test('.image-trust.yaml: a keyless signer in the rule\'s signers', () => {
  const text = ['version: 1', 'rules:', '  - name: prod', '    match: ["ghcr.io/acme/**"]', '    signers:', '      - keyless: { issuer: https://token.actions.githubusercontent.com, subject: x }  # release', '  - name: rest', '    match: ["**"]', '    mode: audit', ''].join('\n');
  const out = applied(text, trustPolicySignerEdit(text, 'prod', SIGNER));
  const policy = loadPolicy(out, { policyPath: '/ws/.image-trust.yaml', readFile: () => { throw new Error('no files'); } }).policy!;
  assert.equal(policy.rules[0].signers.length, 2);
  assert.ok(out.includes('# release\n      - keyless:\n'), out);
  assert.ok('error' in trustPolicySignerEdit(text, 'rest', SIGNER));
});
