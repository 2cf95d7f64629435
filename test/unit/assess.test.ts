// core/assess.ts on in-memory values: which findings a reference gets from its text, from a registry answer
// (`Resolution`) and from a verification (`ReferenceVerification`), and the one final filter (severity settings,
// `off`, suppression comments) with its enforce rule: an `enforce` policy finding is never lowered or silenced.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeText, classify } from '../../server/src/core/analyze';
import { applySettings, assessFile, assessReference, type AssessmentSettings } from '../../server/src/core/assess';
import type { Finding } from '../../server/src/core/findings';
import type { Resolution } from '../../server/src/core/resolve';
import type { FileKind, ImageRef } from '../../server/src/core/types';
import type { ReferenceVerification } from '../../server/src/core/verification';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const D3 = `sha256:${'3'.repeat(64)}`;

/** A classified reference written at offset `at` of some document. */
function ref(reference: string, opts: { templated?: boolean; at?: number; kind?: FileKind; ignored?: string[] } = {}): ImageRef {
  const at = opts.at ?? 10;
  const range = { start: at, end: at + reference.length };
  const r = classify({ kind: opts.kind ?? 'kubernetes', range, text: reference, reference, templated: opts.templated ?? false, pin: { type: 'inline', range } });
  return opts.ignored ? { ...r, ignored: opts.ignored } : r;
}

function resolution(over: Partial<Resolution>): Resolution {
  return { platforms: [], fromCache: false, cacheAgeMs: 0, ...over };
}

function verificationWith(findings: Finding[]): ReferenceVerification {
  return { digest: D1, trust: null, policy: { rule: 'prod', mode: findings[0]?.mode ?? 'audit', exception: null }, findings };
}

const codes = (fs: Finding[]) => fs.map((f) => f.code);
const codeAndSeverity = (fs: Finding[]) => fs.map((f) => `${f.code}:${f.severity}`);

describe('extraction findings, one per status', () => {
  test('a tag without digest: unpinned-tag (warning) naming the image and its tag, at the reference', () => {
    const r = ref('nginx:1.25');
    assert.deepEqual(assessReference(r, {}), [
      {
        code: 'unpinned-tag',
        severity: 'warning',
        message:
          'Image nginx:1.25 is pinned only by the tag "1.25", which can be moved to other bytes at any time; pin it to its digest (quick fix "Pin to digest", or image-trust pin) to deploy exactly what you tested.',
        range: { start: 10, end: 20 },
      },
    ]);
  });

  test('neither tag nor digest: implicit-latest (warning), not unpinned-tag', () => {
    const found = assessReference(ref('ghcr.io/acme/api'), {});
    assert.deepEqual(codeAndSeverity(found), ['implicit-latest:warning']);
    assert.match(found[0].message, /^Image ghcr\.io\/acme\/api has no tag or digest, so it means ghcr\.io\/acme\/api:latest,/);
  });

  test('a template: templated (information), quoting the text as written', () => {
    const found = assessReference(ref('{{ .Values.image }}', { templated: true }), {});
    assert.deepEqual(codeAndSeverity(found), ['templated:information']);
    assert.match(found[0].message, /^Image "\{\{ \.Values\.image \}\}" is built from a template or variable/);
  });

  test('an uppercase repository: invalid-reference (error) with the reason from the parser', () => {
    const found = assessReference(ref('Nginx:1.25'), {});
    assert.deepEqual(codeAndSeverity(found), ['invalid-reference:error']);
    assert.equal(found[0].message, 'Invalid image reference "Nginx:1.25": repository name must be lowercase: "Nginx".');
  });

  test('a pinned reference with nothing else known has no finding', () => {
    assert.deepEqual(assessReference(ref(`nginx:1.25@${D1}`), {}), []);
    assert.deepEqual(assessReference(ref(`nginx@${D1}`), { resolution: null, verification: null }), []);
  });

  test('templated and invalid references get no resolution finding even when handed one', () => {
    const failed = resolution({ error: { code: 'REGISTRY_UNREACHABLE', message: 'connection refused' } });
    assert.deepEqual(codes(assessReference(ref('${IMAGE}', { templated: true }), { resolution: failed })), ['templated']);
    assert.deepEqual(codes(assessReference(ref('Nginx'), { resolution: failed })), ['invalid-reference']);
  });
});

describe('unreadable YAML: a problem of the file, never silent', () => {
  test('each problem becomes unreadable-yaml (warning) at its range, with the parser message', () => {
    const found = assessFile({ refs: [], problems: [{ message: 'bad indentation', range: { start: 40, end: 45 } }] }, () => ({}));
    assert.deepEqual(found, [
      {
        code: 'unreadable-yaml',
        severity: 'warning',
        message: 'Image Trust could not read this YAML document (bad indentation); image references in it are not checked.',
        range: { start: 40, end: 45 },
      },
    ]);
  });

  test('from real text: a broken document is a problem, the readable one still yields its reference', () => {
    const text = 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: nginx:1.25\n---\napiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: [a\n';
    const a = analyzeText(text, 'kubernetes');
    const found = assessFile(a, () => ({}));
    assert.deepEqual(codes(found), ['unpinned-tag', 'unreadable-yaml']);
    assert.ok(found[1].range.start > text.indexOf('---'), 'the problem is in the second document');
  });

  test('file findings and problems follow settings too; everything comes out in document order', () => {
    const file = {
      refs: [ref('redis', { at: 50 }), ref('nginx:1', { at: 5 })],
      problems: [{ message: 'x', range: { start: 30, end: 31 } }],
      fileFindings: [{ code: 'file-too-large', severity: 'information' as const, message: 'big', range: { start: 0, end: 0 } }],
    };
    assert.deepEqual(
      assessFile(file, () => ({})).map((f) => `${f.range.start}:${f.code}`),
      ['0:file-too-large', '5:unpinned-tag', '30:unreadable-yaml', '50:implicit-latest'],
    );
    const quiet = assessFile(file, () => ({}), { severity: { 'unreadable-yaml': 'off', 'file-too-large': 'error' } });
    assert.deepEqual(codeAndSeverity(quiet), ['file-too-large:error', 'unpinned-tag:warning', 'implicit-latest:warning']);
  });

  test('factsOf is asked per reference and its answer lands on that reference only', () => {
    const a = ref(`nginx:1.25@${D1}`, { at: 0 });
    const b = ref(`redis:7@${D2}`, { at: 100 });
    const found = assessFile({ refs: [a, b] }, (r) => (r === b ? { resolution: resolution({ tagDigest: D3, digestExists: true, drift: true }) } : {}));
    assert.deepEqual(found.map((f) => `${f.range.start}:${f.code}`), ['100:tag-moved']);
  });
});

describe('resolution findings from a Resolution', () => {
  test('tag moved under the pin: tag-moved (warning) naming both digests, shortened', () => {
    const found = assessReference(ref(`nginx:1.25@${D1}`), { resolution: resolution({ tagDigest: D2, digestExists: true, drift: true, updateDigest: D2 }) });
    assert.deepEqual(codeAndSeverity(found), ['tag-moved:warning']);
    assert.equal(
      found[0].message,
      `The tag 1.25 of docker.io/library/nginx now points to ${D2.slice(0, 19)}…, not the pinned ${D1.slice(0, 19)}…. An unexpected move may be a swapped image: check why before updating the pin.`,
    );
  });

  test('pinned digest gone: digest-not-found (error), even when the tag also drifted', () => {
    const found = assessReference(ref(`nginx:1.25@${D1}`), { resolution: resolution({ tagDigest: D2, digestExists: false, drift: true }) });
    assert.deepEqual(codeAndSeverity(found), ['digest-not-found:error']);
  });

  test('registry failure: resolve-failed (information) naming the image and the reason', () => {
    const found = assessReference(ref('nginx:1.25'), { resolution: resolution({ error: { code: 'REGISTRY_UNAUTHORIZED', message: 'docker.io: unauthorized' } }) });
    assert.deepEqual(codeAndSeverity(found), ['unpinned-tag:warning', 'resolve-failed:information']);
    assert.equal(found[1].message, 'Could not check nginx:1.25: docker.io: unauthorized');
  });

  test('pinned to one platform of a multi-platform tag: single-platform-pin (information)', () => {
    const platforms = [
      { os: 'linux', architecture: 'amd64', digest: D1, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
      { os: 'linux', architecture: 'arm64', digest: D2, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
    ];
    const found = assessReference(ref(`nginx:1.25@${D1}`), { resolution: resolution({ tagDigest: D3, platforms, digestExists: true, drift: false, pinnedPlatform: platforms[0] }) });
    assert.deepEqual(codeAndSeverity(found), ['single-platform-pin:information']);
    assert.match(found[0].message, /linux\/amd64 image only.*gives up linux\/arm64\.$/);
  });

  test('offline by choice (OFFLINE): no finding, the reference keeps only its own', () => {
    const offline = resolution({ error: { code: 'OFFLINE', message: 'offline, and nginx:1.25 is not in the cache' } });
    assert.deepEqual(codes(assessReference(ref('nginx:1.25'), { resolution: offline })), ['unpinned-tag']);
    assert.deepEqual(assessReference(ref(`nginx:1.25@${D1}`), { resolution: offline }), []);
  });

  test('a pin that still matches its tag, and an unpinned tag that resolved: nothing from the registry', () => {
    assert.deepEqual(assessReference(ref(`nginx:1.25@${D1}`), { resolution: resolution({ tagDigest: D1, digestExists: true, drift: false }) }), []);
    assert.deepEqual(codes(assessReference(ref('nginx:1.25'), { resolution: resolution({ tagDigest: D1 }) })), ['unpinned-tag']);
  });
});

describe('policy findings from a ReferenceVerification', () => {
  test('are passed through as the verification states them, after the reference findings', () => {
    const unsigned: Finding = { code: 'unsigned', severity: 'error', mode: 'enforce', message: 'no signature', range: { start: 10, end: 20 } };
    const found = assessReference(ref('nginx:1.25'), { verification: verificationWith([unsigned]) });
    assert.deepEqual(found, [found[0], unsigned]);
    assert.equal(found[0].code, 'unpinned-tag');
  });

  test('a verification with no findings adds none; a null one neither', () => {
    assert.deepEqual(assessReference(ref(`nginx@${D1}`), { verification: verificationWith([]) }), []);
    assert.deepEqual(assessReference(ref(`nginx@${D1}`), { verification: null }), []);
  });
});

describe('severity settings: user over policy file over default', () => {
  const r = ref('nginx:1.25');
  const cases: [string, AssessmentSettings, string[]][] = [
    ['nothing set: the default', {}, ['unpinned-tag:warning']],
    ['policy file only', { policySeverity: { 'unpinned-tag': 'hint' } }, ['unpinned-tag:hint']],
    ['user only', { severity: { 'unpinned-tag': 'error' } }, ['unpinned-tag:error']],
    ['user over policy file', { severity: { 'unpinned-tag': 'information' }, policySeverity: { 'unpinned-tag': 'error' } }, ['unpinned-tag:information']],
    ['user off over policy file error', { severity: { 'unpinned-tag': 'off' }, policySeverity: { 'unpinned-tag': 'error' } }, []],
    ['user level over policy file off', { severity: { 'unpinned-tag': 'warning' }, policySeverity: { 'unpinned-tag': 'off' } }, ['unpinned-tag:warning']],
    ['policy file off', { policySeverity: { 'unpinned-tag': 'off' } }, []],
    ['a setting for another rule changes nothing', { severity: { 'implicit-latest': 'off', templated: 'error' } }, ['unpinned-tag:warning']],
  ];
  for (const [name, settings, expected] of cases) {
    test(name, () => assert.deepEqual(codeAndSeverity(assessReference(r, {}, settings)), expected));
  }

  test('settings reach resolution findings too', () => {
    const failed = { resolution: resolution({ error: { code: 'REGISTRY_UNREACHABLE', message: 'down' } }) };
    assert.deepEqual(codeAndSeverity(assessReference(ref(`nginx@${D1}`), failed, { severity: { 'resolve-failed': 'warning' } })), ['resolve-failed:warning']);
    assert.deepEqual(assessReference(ref(`nginx@${D1}`), failed, { policySeverity: { 'resolve-failed': 'off' } }), []);
  });

  test('applySettings returns a new finding and leaves the input as it was', () => {
    const f: Finding = { code: 'templated', severity: 'information', message: 'm', range: { start: 0, end: 1 } };
    const out = applySettings(f, undefined, { severity: { templated: 'error' } });
    assert.deepEqual(out, { ...f, severity: 'error' });
    assert.equal(f.severity, 'information');
  });
});

describe('suppression comments', () => {
  test('a trailing YAML comment naming the rule silences that rule on that line only', () => {
    const text = 'services:\n  a:\n    image: nginx:1.25 # image-trust: ignore unpinned-tag\n  b:\n    image: redis:7\n';
    const a = analyzeText(text, 'compose');
    assert.deepEqual(a.refs.map((r) => r.ignored ?? null), [['unpinned-tag'], null]);
    const found = assessFile(a, () => ({}));
    assert.deepEqual(found.map((f) => text.slice(f.range.start, f.range.end)), ['redis:7']);
  });

  test('a comment naming another rule does not silence this one', () => {
    const a = analyzeText('services:\n  a:\n    image: nginx:1.25 # image-trust: ignore tag-moved\n', 'compose');
    assert.deepEqual(codes(assessFile(a, () => ({}))), ['unpinned-tag']);
  });

  test('`ignore` without a rule silences every rule of the line, registry findings included', () => {
    const a = analyzeText(`services:\n  a:\n    image: nginx:1.25@${D1} # image-trust: ignore\n`, 'compose');
    assert.deepEqual(a.refs[0].ignored, ['*']);
    const moved = { resolution: resolution({ tagDigest: D2, digestExists: true, drift: true }) };
    assert.deepEqual(assessFile(a, () => moved), []);
  });

  test('in a Dockerfile the comment goes on the line above the instruction', () => {
    const a = analyzeText('# image-trust: ignore implicit-latest\nFROM alpine\nFROM debian\n', 'dockerfile');
    const found = assessFile(a, () => ({}));
    assert.deepEqual(found.map((f) => `${f.code} ${f.message.split(' ')[1]}`), ['implicit-latest debian']);
  });

  test('a suppression wins over a setting that raises the rule', () => {
    assert.deepEqual(assessReference(ref('nginx:1.25', { ignored: ['unpinned-tag'] }), {}, { severity: { 'unpinned-tag': 'error' } }), []);
  });
});

describe('enforce findings are the policy’s decision; audit findings follow settings', () => {
  const enforce: Finding = { code: 'unsigned', severity: 'error', mode: 'enforce', message: 'nginx:1.25 has no signature', range: { start: 10, end: 20 } };
  const audit: Finding = { ...enforce, severity: 'warning', mode: 'audit' };

  test('enforce: settings that lower it or turn it off are ignored, at either level of precedence', () => {
    for (const settings of [
      { severity: { unsigned: 'warning' } },
      { severity: { unsigned: 'hint' } },
      { severity: { unsigned: 'off' } },
      { policySeverity: { unsigned: 'off' } },
      { policySeverity: { unsigned: 'information' } },
    ] as AssessmentSettings[]) {
      assert.deepEqual(applySettings(enforce, undefined, settings), enforce, JSON.stringify(settings));
    }
  });

  test('enforce: suppression comments, with or without the rule named, are ignored', () => {
    assert.deepEqual(applySettings(enforce, ['unsigned'], {}), enforce);
    assert.deepEqual(applySettings(enforce, ['*'], { severity: { unsigned: 'off' } }), enforce);
    const r = ref('nginx:1.25', { ignored: ['*'] });
    assert.deepEqual(assessReference(r, { verification: verificationWith([enforce]) }), [enforce]);
  });

  test('enforce: a setting may raise it', () => {
    const lowEnforce: Finding = { ...enforce, code: 'verify-failed', severity: 'warning' };
    assert.deepEqual(applySettings(lowEnforce, ['*'], { severity: { 'verify-failed': 'error' } }), { ...lowEnforce, severity: 'error' });
    assert.deepEqual(applySettings(lowEnforce, undefined, { policySeverity: { 'verify-failed': 'error' } }), { ...lowEnforce, severity: 'error' });
  });

  test('audit: lowered, raised, turned off and suppressed like any finding', () => {
    assert.deepEqual(applySettings(audit, undefined, { severity: { unsigned: 'information' } }), { ...audit, severity: 'information' });
    assert.deepEqual(applySettings(audit, undefined, { policySeverity: { unsigned: 'error' } }), { ...audit, severity: 'error' });
    assert.equal(applySettings(audit, undefined, { severity: { unsigned: 'off' } }), null);
    assert.equal(applySettings(audit, ['unsigned'], {}), null);
    assert.deepEqual(applySettings(audit, ['tag-moved'], {}), audit);
  });

  test('through assessReference: on a suppressed line with everything off, only the enforce finding remains', () => {
    const r = ref('nginx:1.25', { ignored: ['*'] });
    const auditTagRule: Finding = { ...audit, code: 'tag-not-allowed' };
    const found = assessReference(r, { verification: verificationWith([enforce, auditTagRule]) }, { severity: { unsigned: 'off', 'tag-not-allowed': 'off', 'unpinned-tag': 'off' } });
    assert.deepEqual(found, [enforce]);
  });
});
