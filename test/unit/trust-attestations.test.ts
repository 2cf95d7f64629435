// Predicate recognition and summaries: provenance, SBOMs, vulnerability scans, VEX.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describePredicateType, summarizeAttestation } from '../../server/src/core/trust/attestations';
import { parseStatement, statementCoversDigest } from '../../server/src/core/trust/statement';

test('SLSA provenance v0.2: builder, source, commit, trigger', () => {
  const s = summarizeAttestation('https://slsa.dev/provenance/v0.2', {
    builder: { id: 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v1.9.0' },
    buildType: 'https://github.com/slsa-framework/slsa-github-generator/container@v1',
    invocation: {
      configSource: { uri: 'git+https://github.com/acme/app@refs/heads/main', digest: { sha1: '0123456789abcdef0123456789abcdef01234567' }, entryPoint: '.github/workflows/release.yml' },
      environment: { github_event_name: 'release' },
    },
  });
  assert.equal(s.kind, 'slsa-provenance-v0.2');
  assert.equal(s.fields.sourceRepository, 'git+https://github.com/acme/app@refs/heads/main');
  assert.equal(s.fields.sourceCommit, '0123456789abcdef0123456789abcdef01234567');
  assert.equal(s.fields.buildTrigger, 'release');
  assert.match(s.summary, /^SLSA provenance v0\.2: built by https:\/\/github\.com\/slsa-framework.* from git\+https:\/\/github\.com\/acme\/app@refs\/heads\/main@0123456789ab \(trigger: release\)$/);
});

test('SLSA provenance v1 without GitHub workflow parameters falls back to the first resolved dependency', () => {
  const s = summarizeAttestation('https://slsa.dev/provenance/v1', {
    buildDefinition: { buildType: 'https://example.com/build/v1', resolvedDependencies: [{ uri: 'git+https://gitlab.com/acme/app', digest: { gitCommit: 'abc' } }] },
    runDetails: { builder: { id: 'https://gitlab.com/runner' } },
  });
  assert.deepEqual([s.fields.builderId, s.fields.sourceRepository, s.fields.sourceCommit], ['https://gitlab.com/runner', 'git+https://gitlab.com/acme/app', 'abc']);
  assert.equal(s.fields.buildTrigger, undefined);
});

test('SBOMs: SPDX and CycloneDX package counts', () => {
  const spdx = summarizeAttestation('https://spdx.dev/Document/v2.3', { spdxVersion: 'SPDX-2.3', packages: [{}, {}] });
  assert.deepEqual([spdx.kind, spdx.fields.sbomFormat, spdx.fields.packageCount], ['spdx', 'SPDX-2.3', 2]);
  const cdx = summarizeAttestation('https://cyclonedx.org/bom', { bomFormat: 'CycloneDX', specVersion: '1.5', components: [{}, {}, {}] });
  assert.deepEqual([cdx.kind, cdx.fields.sbomFormat, cdx.fields.packageCount], ['cyclonedx', 'CycloneDX 1.5', 3]);
  assert.equal(cdx.summary, 'SBOM (CycloneDX 1.5): 3 component(s)');
});

test('vulnerability scans: cosign vuln (Trivy result) and in-toto vulns', () => {
  const cosign = summarizeAttestation('https://cosign.sigstore.dev/attestation/vuln/v1', {
    scanner: { uri: 'pkg:github/aquasecurity/trivy', version: '0.50.0', result: { Results: [{ Vulnerabilities: [{}, {}] }, { Vulnerabilities: [{}] }] } },
  });
  assert.equal(cosign.kind, 'vulnerability-scan');
  assert.equal(cosign.fields.vulnerabilityCount, 3);
  assert.equal(cosign.summary, 'Vulnerability scan by pkg:github/aquasecurity/trivy 0.50.0: 3 finding(s)');
  const intoto = summarizeAttestation('https://in-toto.io/attestation/vulns/v0.1', { scanner: { uri: 'pkg:github/anchore/grype', result: [{ id: 'CVE-1' }] } });
  assert.equal(intoto.fields.vulnerabilityCount, 1);
  const unknownFormat = summarizeAttestation('https://cosign.sigstore.dev/attestation/vuln/v1', { scanner: { uri: 'x', result: {} } });
  assert.equal(unknownFormat.fields.vulnerabilityCount, undefined, 'no count is invented for an unknown result format');
});

test('OpenVEX statements by status', () => {
  const s = summarizeAttestation('https://openvex.dev/ns/v0.2.0', { statements: [{ status: 'not_affected' }, { status: 'not_affected' }, { status: 'fixed' }] });
  assert.equal(s.summary, 'OpenVEX: 3 statement(s) (2 not_affected, 1 fixed)');
});

test('unknown predicates keep their type; predicate types in words', () => {
  assert.equal(summarizeAttestation('https://example.com/custom/v1', {}).kind, 'unknown');
  assert.equal(describePredicateType('https://slsa.dev/provenance/v1'), 'SLSA provenance v1');
  assert.equal(describePredicateType('https://example.com/custom/v1'), 'https://example.com/custom/v1');
});

test('statements: payload type, shape and subject digest are checked', () => {
  const payload = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'x', digest: { sha256: 'AB'.repeat(32) } }], predicateType: 't', predicate: {} }));
  const st = parseStatement('application/vnd.in-toto+json', payload);
  assert.equal(statementCoversDigest(st, `sha256:${'ab'.repeat(32)}`), true);
  assert.equal(statementCoversDigest(st, `sha256:${'cd'.repeat(32)}`), false);
  assert.throws(() => parseStatement('text/plain', payload), /payload type/);
  assert.throws(() => parseStatement('application/vnd.in-toto+json', Buffer.from('{"_type":"other"}')), /not an in-toto Statement/);
});
