import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { defaultPolicy, loadPolicy, matchRule, severityForMode, type ResolvedSigner } from '../../server/src/core/policy';
import type { SignerSpec } from '../../server/src/core/trust/signers';
import { CERT_PEM, DEFAULT_FILES, KEY, OTHER_KEY, POLICY_DIR, POLICY_PATH, errorsOf, indentBlock, load, virtualFiles, warningsOf } from '../support/policy-fixtures';

const FULL_POLICY = `version: 1
trustedRoot: ./sigstore/trusted_root.json
rules:
  - name: prod
    match: ["registry.example.com/prod/**", "ghcr.io/acme/*"]
    mode: enforce
    requireDigest: true
    signers:
      - key: ./keys/cosign.pub
      - keyless: { issuer: https://token.actions.githubusercontent.com, subjectRegExp: 'https://github\\.com/acme/.*' }
      - notation: { certificate: ./certs/notation.pem }
    attestations:
      - predicateType: https://slsa.dev/provenance/v1
        signers: [ { keyless: { issuer: https://accounts.google.com, subject: builder@acme.example } } ]
      - predicateType: https://spdx.dev/Document
  - match: nginx
    mode: audit
    requireDigest: true
exceptions:
  - image: registry.example.com/prod/legacy@sha256:${'a'.repeat(64)}
    reason: "vendor image, unsigned until Q3"
    owner: team-platform
    expires: 2026-12-31
    scope: ["deploy/legacy/**"]
`;

const TRUSTED_ROOT = JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [] });
const FULL_FILES = { ...DEFAULT_FILES, [path.join(POLICY_DIR, 'sigstore/trusted_root.json')]: TRUSTED_ROOT };

describe('loadPolicy: a valid policy with every feature', () => {
  const r = load(FULL_POLICY, FULL_FILES);

  test('loads without diagnostics', () => {
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.broken, false);
    assert.ok(r.policy);
    assert.match(r.hash, /^[0-9a-f]{64}$/);
  });

  test('rules keep order, names, modes and patterns', () => {
    const [prod, nginx] = r.policy!.rules;
    assert.equal(r.policy!.rules.length, 2);
    assert.equal(prod.name, 'prod');
    assert.deepEqual(prod.match, ['registry.example.com/prod/**', 'ghcr.io/acme/*']);
    assert.equal(prod.mode, 'enforce');
    assert.equal(prod.requireDigest, true);
    assert.equal(nginx.name, 'rules[1]');
    assert.deepEqual(nginx.match, ['nginx']);
    assert.deepEqual(nginx.normalizedMatch, ['docker.io/library/nginx']);
    assert.equal(nginx.mode, 'audit');
    assert.equal(FULL_POLICY.slice(prod.range!.start, prod.range!.start + 10), 'name: prod');
  });

  test('signers are resolved to the verifier shapes', () => {
    const [key, keyless, notation] = r.policy!.rules[0].signers;
    assert.deepEqual(key, { type: 'key', publicKeyPem: KEY.publicPem, name: './keys/cosign.pub' });
    assert.deepEqual(keyless, { type: 'keyless', issuer: 'https://token.actions.githubusercontent.com', subjectRegExp: 'https://github\\.com/acme/.*' });
    assert.equal(notation.type, 'notation');
    assert.equal(notation.type === 'notation' && notation.certificatePem.trim(), CERT_PEM.trim());
  });

  test('signers pass unchanged to the verifier (type-checked: ResolvedSigner is a SignerSpec)', () => {
    const specs: SignerSpec[] = r.policy!.rules[0].signers satisfies ResolvedSigner[];
    assert.deepEqual(specs.map((s) => s.type), ['key', 'keyless', 'notation']);
  });

  test('attestations carry their own signers or inherit the rule signers', () => {
    const [slsa, spdx] = r.policy!.rules[0].attestations;
    assert.equal(slsa.predicateType, 'https://slsa.dev/provenance/v1');
    assert.deepEqual(slsa.signers, [{ type: 'keyless', issuer: 'https://accounts.google.com', subject: 'builder@acme.example' }]);
    assert.equal(spdx.predicateType, 'https://spdx.dev/Document');
    assert.deepEqual(spdx.signers, r.policy!.rules[0].signers);
  });

  test('trusted root and exceptions are read', () => {
    assert.equal(r.policy!.trustedRoot?.path, path.join(POLICY_DIR, 'sigstore/trusted_root.json'));
    assert.deepEqual(r.policy!.trustedRoot?.json, JSON.parse(TRUSTED_ROOT));
    const [ex] = r.policy!.exceptions;
    assert.equal(r.policy!.exceptions.length, 1);
    assert.deepEqual(ex.target, { type: 'digest', name: 'registry.example.com/prod/legacy', digest: `sha256:${'a'.repeat(64)}` });
    assert.equal(ex.owner, 'team-platform');
    assert.equal(ex.reason, 'vendor image, unsigned until Q3');
    assert.equal(ex.expires, '2026-12-31');
    assert.deepEqual(ex.scope, ['deploy/legacy/**']);
    assert.equal(FULL_POLICY.slice(ex.expiresRange.start, ex.expiresRange.end), '2026-12-31');
  });
});

describe('loadPolicy: key material', () => {
  const policyWithKey = (key: string) => `version: 1\nrules:\n  - match: "**"\n    signers:\n      - key: ${key}\n`;

  test('a relative key path resolves against the policy file folder', () => {
    const fs = virtualFiles({ [path.resolve(POLICY_DIR, '../keys/team.pub')]: OTHER_KEY.publicPem });
    const r = loadPolicy(policyWithKey('../keys/team.pub'), { policyPath: POLICY_PATH, readFile: fs.readFile });
    assert.deepEqual(errorsOf(r), []);
    assert.deepEqual(fs.reads, [path.resolve(POLICY_DIR, '../keys/team.pub')]);
    assert.deepEqual(r.policy!.rules[0].signers, [{ type: 'key', publicKeyPem: OTHER_KEY.publicPem, name: '../keys/team.pub' }]);
  });

  test('an absolute key path is read as is', () => {
    const abs = path.resolve('/etc/keys/cosign.pub');
    const fs = virtualFiles({ [abs]: KEY.publicPem });
    const r = loadPolicy(policyWithKey(abs), { policyPath: POLICY_PATH, readFile: fs.readFile });
    assert.deepEqual(errorsOf(r), []);
    assert.deepEqual(fs.reads, [abs]);
  });

  test('inline PEM in a block scalar is accepted and named by fingerprint', () => {
    const text = `version: 1\nrules:\n  - match: "**"\n    signers:\n      - key: |\n${indentBlock(KEY.publicPem, 10)}\n`;
    const fs = virtualFiles({});
    const r = loadPolicy(text, { policyPath: POLICY_PATH, readFile: fs.readFile });
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(fs.reads, [], 'inline PEM must not be read as a path');
    const [signer] = r.policy!.rules[0].signers;
    assert.equal(signer.type, 'key');
    assert.equal(signer.type === 'key' && signer.publicKeyPem, KEY.publicPem);
    assert.match(signer.type === 'key' ? signer.name : '', /^inline key SHA256:[0-9a-f]{16}$/);
  });

  test('inline notation certificate', () => {
    const text = `version: 1\nrules:\n  - match: "**"\n    signers:\n      - notation:\n          certificate: |\n${indentBlock(CERT_PEM, 12)}\n`;
    const r = load(text, {});
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.policy!.rules[0].signers[0].type, 'notation');
  });

  test('the hash changes with the key file content, not only with the policy text', () => {
    const text = policyWithKey('./keys/cosign.pub');
    const a = load(text, { [path.join(POLICY_DIR, 'keys/cosign.pub')]: KEY.publicPem });
    const b = load(text, { [path.join(POLICY_DIR, 'keys/cosign.pub')]: OTHER_KEY.publicPem });
    const a2 = load(text, { [path.join(POLICY_DIR, 'keys/cosign.pub')]: KEY.publicPem });
    assert.notEqual(a.hash, b.hash);
    assert.equal(a.hash, a2.hash);
  });
});

describe('loadPolicy: `tlog` on key signers (a Rekor entry is required unless `tlog: false`)', () => {
  const withSigner = (signer: string) => `version: 1\nrules:\n  - match: "**"\n    signers:\n${signer}`;
  const KEY_SIGNER = { type: 'key', publicKeyPem: KEY.publicPem, name: './keys/cosign.pub' };

  test('no `tlog`: the default (a transparency-log entry is required), nothing recorded', () => {
    const r = load(withSigner('      - key: ./keys/cosign.pub\n'));
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.policy!.rules[0].signers, [KEY_SIGNER]);
  });

  test('`tlog: false` next to `key:` opts out: requireTlog false', () => {
    const r = load(withSigner('      - key: ./keys/cosign.pub\n        tlog: false\n'));
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.policy!.rules[0].signers, [{ ...KEY_SIGNER, requireTlog: false }]);
  });

  test('`tlog: true` is the default written out: nothing recorded', () => {
    const r = load(withSigner('      - tlog: true\n        key: ./keys/cosign.pub\n'));
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.policy!.rules[0].signers, [KEY_SIGNER]);
  });

  test('flow style, and in attestation signers', () => {
    const text = `version: 1\nrules:\n  - match: "**"\n    signers: [{ key: ./keys/cosign.pub, tlog: false }]\n    attestations:\n      - predicateType: https://slsa.dev/provenance/v1\n        signers: [{ tlog: false, key: ./keys/cosign.pub }]\n`;
    const r = load(text);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.policy!.rules[0].signers, [{ ...KEY_SIGNER, requireTlog: false }]);
    assert.deepEqual(r.policy!.rules[0].attestations[0].signers, [{ ...KEY_SIGNER, requireTlog: false }]);
  });

  test('`tlog: false` changes the policy hash', () => {
    const strict = load(withSigner('      - key: ./keys/cosign.pub\n'));
    const relaxed = load(withSigner('      - key: ./keys/cosign.pub\n        tlog: false\n'));
    assert.notEqual(strict.hash, relaxed.hash);
  });

  const broken: { name: string; signer: string; message: RegExp; at: string }[] = [
    { name: 'a string', signer: '      - key: ./keys/cosign.pub\n        tlog: "false"\n', message: /`tlog` must be true or false/, at: '"false"' },
    { name: 'YAML 1.1 `no` (a string in YAML 1.2)', signer: '      - key: ./keys/cosign.pub\n        tlog: no\n', message: /`tlog` must be true or false/, at: 'no\n' },
    { name: 'a number', signer: '      - key: ./keys/cosign.pub\n        tlog: 0\n', message: /`tlog` must be true or false/, at: '0\n' },
    { name: 'no value', signer: '      - key: ./keys/cosign.pub\n        tlog:\n', message: /`tlog` needs a value/, at: 'tlog' },
    {
      name: 'on a keyless signer',
      signer: '      - keyless: { issuer: https://token.actions.githubusercontent.com, subject: a@b.c }\n        tlog: false\n',
      message: /`tlog` applies only to `key` signers.*keyless.*always need/,
      at: 'tlog',
    },
    { name: 'on a notation signer', signer: '      - notation: { certificate: ./certs/notation.pem }\n        tlog: false\n', message: /`tlog` applies only to `key` signers.*Notation/, at: 'tlog' },
    { name: 'without any signer kind', signer: '      - tlog: false\n', message: /`tlog` applies only to `key` signers; this signer has no `key`/, at: 'tlog' },
    {
      name: 'inside `keyless`',
      signer: '      - keyless: { issuer: https://token.actions.githubusercontent.com, subject: a@b.c, tlog: false }\n',
      message: /unknown key `tlog` in `keyless`/,
      at: 'tlog',
    },
  ];
  for (const c of broken) {
    test(`\`tlog\` ${c.name}: one error at the right place, the policy is broken`, () => {
      const text = withSigner(c.signer);
      const r = load(text);
      assert.equal(r.broken, true);
      assert.equal(r.policy, null);
      const errors = errorsOf(r);
      assert.equal(errors.length, 1, JSON.stringify(r.diagnostics, null, 1));
      assert.match(errors[0].message, c.message);
      assert.equal(errors[0].range.start, text.lastIndexOf(c.at), `range ${JSON.stringify(errors[0].range)} should start at ${JSON.stringify(c.at)}`);
      assert.ok(errors[0].range.end > errors[0].range.start);
    });
  }
});

describe('loadPolicy: warnings for valid but suspicious policies', () => {
  const cases: { name: string; text: string; message: RegExp; at: string }[] = [
    {
      name: 'enforce rule that requires nothing',
      text: 'version: 1\nrules:\n  - match: ghcr.io/acme/*\n    mode: enforce\n',
      message: /enforce mode but requires nothing/,
      at: 'enforce',
    },
    {
      name: 'subjectRegExp written like a prefix (it must match the whole subject)',
      text: "version: 1\nrules:\n  - match: '**'\n    signers:\n      - keyless: { issuer: https://token.actions.githubusercontent.com, subjectRegExp: '^https://github\\.com/acme/' }\n",
      message: /must match the whole subject.*add `\.\*`/,
      at: "'^https://github\\.com/acme/'",
    },
    {
      name: 'rule shadowed by an earlier identical pattern',
      text: 'version: 1\nrules:\n  - match: nginx\n    requireDigest: true\n  - name: late\n    match: docker.io/library/nginx\n    requireDigest: true\n',
      message: /rule `late` never applies/,
      at: 'name: late',
    },
    {
      name: 'upper-case repository path',
      text: 'version: 1\nrules:\n  - match: ghcr.io/Acme/*\n    requireDigest: true\n',
      message: /never matches/,
      at: 'ghcr.io/Acme/*',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = load(c.text);
      assert.equal(r.broken, false);
      assert.ok(r.policy);
      assert.deepEqual(errorsOf(r), []);
      const warnings = warningsOf(r);
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.match(warnings[0].message, c.message);
      assert.equal(c.text.slice(warnings[0].range.start, warnings[0].range.start + c.at.length), c.at);
    });
  }
});

describe('loadPolicy: broken policies fail closed with one precise error', () => {
  const rule = (extra: string) => `version: 1\nrules:\n  - match: ghcr.io/acme/*\n    signers:\n      - key: ./keys/cosign.pub\n${extra}`;
  const cases: { name: string; text: string; files?: Record<string, string>; message: RegExp; at: string | null }[] = [
    { name: 'YAML syntax error (only the first, cascades are dropped)', text: 'version: 1\nrules: [\n  - match: x\n', message: /YAML syntax error/, at: '- match: x' },
    { name: 'duplicate key', text: 'version: 1\nversion: 1\n', message: /YAML syntax error: Map keys must be unique/, at: 'version' },
    { name: 'empty file', text: '', message: /empty/, at: null },
    { name: 'top level is a list', text: '- version: 1\n', message: /must be a mapping/, at: '- version: 1' },
    { name: 'missing version', text: 'rules: []\n', message: /missing `version`/, at: 'rules' },
    { name: 'unsupported version', text: 'version: 2\n', message: /unsupported policy version `2`/, at: '2' },
    { name: 'unknown top-level key', text: 'version: 1\nrule: []\n', message: /unknown key `rule`.*did you mean `rules`/, at: 'rule' },
    { name: 'unknown rule key', text: rule('    signer: []\n'), message: /unknown key `signer`.*did you mean `signers`/, at: 'signer' },
    { name: 'wrong type for requireDigest', text: rule('    requireDigest: "yes"\n'), message: /`requireDigest` must be true or false/, at: '"yes"' },
    { name: 'bad mode', text: rule('    mode: strict\n'), message: /`mode` must be one of enforce, audit, off; got `strict`/, at: 'strict' },
    { name: 'rules is not a list', text: 'version: 1\nrules: {}\n', message: /`rules` must be a list/, at: '{}' },
    { name: 'missing match', text: 'version: 1\nrules:\n  - name: x\n    requireDigest: true\n', message: /missing `match`/, at: 'name' },
    { name: 'match with a tag', text: 'version: 1\nrules:\n  - match: [nginx:1.25]\n    requireDigest: true\n', message: /holds a tag/, at: 'nginx:1.25' },
    { name: 'match with a digest', text: `version: 1\nrules:\n  - match: nginx@sha256:${'b'.repeat(64)}\n    requireDigest: true\n`, message: /holds a digest/, at: 'nginx@sha256' },
    { name: 'match with negation', text: "version: 1\nrules:\n  - match: '!ghcr.io/acme/*'\n    requireDigest: true\n", message: /characters that cannot occur/, at: "'!ghcr.io/acme/*'" },
    { name: 'empty match list', text: 'version: 1\nrules:\n  - match: []\n    requireDigest: true\n', message: /`match` is empty/, at: '[]' },
    { name: 'name is a number', text: rule('    name: 42\n'), message: /`name` must be a string.*quotes/, at: '42' },
    { name: 'empty value for an optional key', text: rule('    mode:\n'), message: /`mode` needs a value/, at: 'mode' },
    {
      name: 'bad subjectRegExp',
      text: "version: 1\nrules:\n  - match: '**'\n    signers:\n      - keyless: { issuer: https://accounts.google.com, subjectRegExp: '^(acme' }\n",
      message: /not a valid regular expression/,
      at: "'^(acme'",
    },
    {
      name: 'keyless with subject and subjectRegExp',
      text: "version: 1\nrules:\n  - match: '**'\n    signers:\n      - keyless: { issuer: https://accounts.google.com, subject: a@b.c, subjectRegExp: '^a' }\n",
      message: /either `subject`.*not both/,
      at: 'subjectRegExp',
    },
    {
      name: 'keyless without subject or subjectRegExp',
      text: "version: 1\nrules:\n  - match: '**'\n    signers:\n      - keyless: { issuer: https://token.actions.githubusercontent.com }\n",
      message: /needs `subject` or `subjectRegExp`/,
      at: '{ issuer: https://token.actions.githubusercontent.com }',
    },
    {
      name: 'subjectRegExp invalid in Unicode mode (as the verifier compiles it)',
      text: "version: 1\nrules:\n  - match: '**'\n    signers:\n      - keyless: { issuer: https://accounts.google.com, subjectRegExp: 'a\\-b' }\n",
      message: /not a valid regular expression/,
      at: "'a\\-b'",
    },
    {
      name: 'keyless without issuer',
      text: "version: 1\nrules:\n  - match: '**'\n    signers:\n      - keyless: { subject: a@b.c }\n",
      message: /missing `issuer`/,
      at: 'subject',
    },
    {
      name: 'signer with two kinds',
      text: "version: 1\nrules:\n  - match: '**'\n    signers:\n      - key: ./keys/cosign.pub\n        keyless: { issuer: https://accounts.google.com, subject: a@b.c }\n",
      message: /exactly one of `key`, `keyless` or `notation`/,
      at: 'keyless',
    },
    { name: 'unreadable key file', text: rule('').replace('./keys/cosign.pub', './keys/missing.pub'), message: /cannot read key file `.\/keys\/missing.pub` \(.*missing.pub\): ENOENT/, at: './keys/missing.pub' },
    {
      name: 'key file that is not PEM',
      text: rule(''),
      files: { [path.join(POLICY_DIR, 'keys/cosign.pub')]: 'not a key\n' },
      message: /key file `.\/keys\/cosign.pub`: no PEM block found/,
      at: './keys/cosign.pub',
    },
    {
      name: 'inline PEM with broken base64 body',
      text: `version: 1\nrules:\n  - match: '**'\n    signers:\n      - key: |\n          -----BEGIN PUBLIC KEY-----\n          AAAAbroken\n          -----END PUBLIC KEY-----\n`,
      message: /inline key: invalid public key/,
      at: '|',
    },
    {
      name: 'inline private key',
      text: `version: 1\nrules:\n  - match: '**'\n    signers:\n      - key: |\n${indentBlock(KEY.privatePem, 10)}\n`,
      message: /PRIVATE key/,
      at: '|',
    },
    {
      name: 'certificate given as key',
      text: rule(''),
      files: { [path.join(POLICY_DIR, 'keys/cosign.pub')]: CERT_PEM },
      message: /certificate, not a public key/,
      at: './keys/cosign.pub',
    },
    {
      name: 'notation certificate that is a key',
      text: "version: 1\nrules:\n  - match: '**'\n    signers:\n      - notation: { certificate: ./keys/cosign.pub }\n",
      message: /certificate file `.\/keys\/cosign.pub`: PEM block 1 is "PUBLIC KEY", expected CERTIFICATE/,
      at: './keys/cosign.pub',
    },
    { name: 'unreadable trusted root', text: 'version: 1\ntrustedRoot: ./root.json\n', message: /cannot read trusted root `.\/root.json`/, at: './root.json' },
    {
      name: 'trusted root that is not JSON',
      text: 'version: 1\ntrustedRoot: ./root.json\n',
      files: { [path.join(POLICY_DIR, 'root.json')]: '{ nope' },
      message: /not valid JSON/,
      at: './root.json',
    },
    {
      name: 'trusted root of another kind',
      text: 'version: 1\ntrustedRoot: ./root.json\n',
      files: { [path.join(POLICY_DIR, 'root.json')]: '{"mediaType":"application/json"}' },
      message: /not a Sigstore trusted root/,
      at: './root.json',
    },
    {
      name: 'attestation without predicateType',
      text: rule('    attestations:\n      - signers: []\n'),
      message: /missing `predicateType`/,
      at: 'signers: []',
    },
  ];

  for (const c of cases) {
    test(c.name, () => {
      const r = load(c.text, c.files ?? DEFAULT_FILES);
      assert.equal(r.broken, true);
      assert.equal(r.policy, null);
      const errors = errorsOf(r);
      assert.equal(errors.length, 1, `expected one error, got ${JSON.stringify(r.diagnostics, null, 1)}`);
      assert.match(errors[0].message, c.message);
      if (c.at !== null) {
        const start = c.text.lastIndexOf(c.at);
        assert.equal(errors[0].range.start, start, `range ${JSON.stringify(errors[0].range)} should start at ${JSON.stringify(c.at)}`);
        assert.ok(errors[0].range.end > errors[0].range.start || c.at === '', 'range is not empty');
      } else {
        assert.ok(errors[0].range.start >= 0 && errors[0].range.end <= Math.max(1, c.text.length));
      }
    });
  }

  test('a duplicate key is pointed at its second occurrence', () => {
    const r = load('version: 1\nversion: 1\n');
    assert.equal(errorsOf(r)[0].range.start, 'version: 1\n'.length);
  });
});

describe('rule matching', () => {
  test('first matching rule wins', () => {
    const r = load('version: 1\nrules:\n  - name: acme-api\n    match: ghcr.io/acme/api\n    requireDigest: true\n  - name: acme\n    match: ghcr.io/acme/**\n    mode: audit\n    requireDigest: true\n');
    assert.deepEqual(errorsOf(r), []);
    const api = matchRule(r.policy!, 'ghcr.io/acme/api');
    assert.equal(api.index, 0);
    assert.equal(api.rule.name, 'acme-api');
    const other = matchRule(r.policy!, 'ghcr.io/acme/web');
    assert.equal(other.index, 1);
    assert.equal(other.rule.name, 'acme');
  });

  test('the default rule applies when nothing matches', () => {
    const r = load('version: 1\nrules:\n  - match: ghcr.io/acme/*\n    requireDigest: true\n');
    const m = matchRule(r.policy!, 'docker.io/library/nginx');
    assert.equal(m.index, null);
    assert.equal(m.rule.mode, 'audit');
    assert.equal(m.rule.requireDigest, false);
    assert.deepEqual(m.rule.signers, []);
    assert.deepEqual(m.rule.attestations, []);
  });

  test('a rule without mode enforces', () => {
    const r = load('version: 1\nrules:\n  - match: ghcr.io/acme/*\n    requireDigest: true\n');
    assert.equal(r.policy!.rules[0].mode, 'enforce');
  });

  test('defaultPolicy has only the default rule', () => {
    const p = defaultPolicy();
    assert.deepEqual(p.rules, []);
    assert.deepEqual(p.exceptions, []);
    assert.equal(p.trustedRoot, null);
    const m = matchRule(p, 'quay.io/x/y');
    assert.equal(m.index, null);
    assert.equal(m.rule.mode, 'audit');
  });

  test('a policy with no rules at all is valid', () => {
    const r = load('version: 1\n');
    assert.equal(r.broken, false);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(matchRule(r.policy!, 'nginx').index, null);
  });

  test('modes map to severities', () => {
    assert.equal(severityForMode('enforce'), 'error');
    assert.equal(severityForMode('audit'), 'warning');
    assert.equal(severityForMode('off'), null);
  });
});
