// Assertions found missing by mutation testing of server/src/core/policy/** (StrykerJS, `npm run mutation`): each test
// pins an exact value that a surviving mutant changed — a diagnostic's path, range, severity or message, a malformed
// entry loading as valid, a rule or exception matching when it must not, a key or certificate accepted wrongly.

import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { defaultRule, describeException, expiredExceptionDiagnostics, findException, matchRule, type Policy } from '../../server/src/core/policy';
import { checkRepositoryGlob, compilePathGlobs, compileRepositoryGlobs } from '../../server/src/core/policy/globs';
import { checkCertificatesPem, checkPublicKeyPem, looksLikeInlinePem } from '../../server/src/core/policy/pem';
import { CERT_PEM, DEFAULT_FILES, KEY, OTHER_KEY, POLICY_DIR, POLICY_PATH, load } from '../support/policy-fixtures';

const D = `sha256:${'a'.repeat(64)}`;
const ex = (body: string) => `version: 1\nexceptions:\n${body}`;
const good = '    reason: r\n    owner: o\n    expires: 2030-01-01\n';
const rule = (extra: string) => `version: 1\nrules:\n  - match: ghcr.io/acme/*\n${extra}`;
const signer = (s: string) => `version: 1\nrules:\n  - match: ghcr.io/acme/*\n    signers:\n      - ${s}\n`;
const FILES = { ...DEFAULT_FILES, [path.join(POLICY_DIR, 'root-null.json')]: 'null', [path.join(POLICY_DIR, 'root-num.json')]: '{"mediaType": 5}', [path.join(POLICY_DIR, 'root-bad.json')]: '{ nope' };

/** Policy texts, each with one defect (or one warning) whose every diagnostic is pinned in EXPECTED. */
const CASES: Record<string, string> = {
  exScalar: ex('  - just-a-string\n'),
  exMissingOwner: ex('  - image: ghcr.io/acme/*\n    reason: r\n    expires: 2030-01-01\n'),
  exUnknownKey: ex(`  - image: ghcr.io/acme/*\n${good}    note: x\n`),
  exImageNum: ex(`  - image: 42\n${good}`),
  exImageTag: ex(`  - image: ghcr.io/acme/api:1.0\n${good}`),
  exReasonNum: ex(`  - image: ghcr.io/acme/*\n    reason: 42\n    owner: o\n    expires: 2030-01-01\n`),
  exReasonBlank: ex(`  - image: ghcr.io/acme/*\n    reason: "   "\n    owner: o\n    expires: 2030-01-01\n`),
  exOwnerNum: ex(`  - image: ghcr.io/acme/*\n    reason: r\n    owner: 42\n    expires: 2030-01-01\n`),
  exExpiresNum: ex(`  - image: ghcr.io/acme/*\n    reason: r\n    owner: o\n    expires: 42\n`),
  exExpiresPrefix: ex(`  - image: ghcr.io/acme/*\n    reason: r\n    owner: o\n    expires: x2030-01-01\n`),
  exExpiresSuffix: ex(`  - image: ghcr.io/acme/*\n    reason: r\n    owner: o\n    expires: 2030-01-01x\n`),
  exMonth13: ex(`  - image: ghcr.io/acme/*\n    reason: r\n    owner: o\n    expires: 2026-13-01\n`),
  exScopeNum: ex(`  - image: ghcr.io/acme/*\n${good}    scope: 42\n`),
  exScopeEmpty: ex(`  - image: ghcr.io/acme/*\n${good}    scope:\n`),
  exScopeDrive: ex(`  - image: ghcr.io/acme/*\n${good}    scope: 'C:/deploy/**'\n`),
  exScopeDotDot: ex(`  - image: ghcr.io/acme/*\n${good}    scope: [deploy/../secrets/**]\n`),
  exScopeBackslash: ex(`  - image: ghcr.io/acme/*\n${good}    scope: ['deploy\\..\\x']\n`),
  exBadGlob: ex(`  - image: ghcr.io//x\n${good}`),
  exUpper: ex(`  - image: ghcr.io/Acme/*\n${good}`),
  exStarDigest: ex(`  - image: '**@${D}'\n${good}`),
  exYaml11: `%YAML 1.1\n---\nversion: 1\nexceptions:\n  - image: ghcr.io/acme/*\n    reason: r\n    owner: o\n    expires: 2030-01-31\n`,
  emptyComment: '# nothing\n',
  emptyText: '',
  topList: '- version: 1\n',
  missingVersion: 'rules: []\n',
  versionEmpty: 'version:\n',
  numericKey: 'version: 1\n42: x\n',
  nearKey2: 'version: 1\nversionxy: 1\n',
  farKey: 'version: 1\nzzz: 1\n',
  trustedRootEmpty: 'version: 1\ntrustedRoot:\n',
  rulesEmpty: 'version: 1\nrules:\n',
  exceptionsEmpty: 'version: 1\nexceptions:\n',
  severityEmpty: 'version: 1\nseverity:\n',
  severityAlias: 'version: 1\nrules: &r []\nseverity: *r\n',
  severityNumKey: 'version: 1\nseverity: {1: error}\n',
  unsorted: 'version: 1\nseverity: [a]\nrules: {}\n',
  syntaxEof: 'version: 1\nrules: [',
  containedThenBreak: ex(`  - image: ghcr.io/acme/*\n${good}`) + 'severity: {nope: error}\n',
  yamlWarning: '%FOO bar\n---\nversion: 1\n',
  versionTwo: 'version: 2\n',
  trustedRootMissing: 'version: 1\ntrustedRoot: ./missing.json\n',
  trustedRootNotJson: 'version: 1\ntrustedRoot: ./root-bad.json\n',
  ruleNoMatch: 'version: 1\nrules:\n  - name: x\n    requireDigest: true\n',
  trustedRootNum: 'version: 1\ntrustedRoot: 42\n',
  trustedRootNull: 'version: 1\ntrustedRoot: ./root-null.json\n',
  trustedRootNumMedia: 'version: 1\ntrustedRoot: ./root-num.json\n',
  ruleScalar: 'version: 1\nrules:\n  - nginx\n',
  ruleNameMap: rule('    name: {a: 1}\n    requireDigest: true\n'),
  ruleMatchNum: 'version: 1\nrules:\n  - match: 42\n',
  ruleMatchMap: 'version: 1\nrules:\n  - match: {a: b}\n',
  ruleMatchNulls: 'version: 1\nrules:\n  - match: [1, 2]\n',
  ruleMatchNullItem: 'version: 1\nrules:\n  - match: [ghcr.io/a/*, ~]\n',
  ruleMatchMixed: "version: 1\nrules:\n  - match: ['ghcr.io/a/*', 'x:tag']\n",
  ruleModeNum: rule('    mode: 42\n'),
  ruleReqDigestNum: rule('    requireDigest: 1\n'),
  ruleSignersNum: rule('    signers: 42\n'),
  ruleAttNum: rule('    requireDigest: true\n    attestations: 42\n'),
  ruleVerifyPlatforms: rule('    requireDigest: true\n    verifyPlatforms: "yes"\n'),
  attOnlyEnforce: rule('    attestations:\n      - predicateType: https://slsa.dev/provenance/v1\n        signers: [ { key: ./keys/cosign.pub } ]\n'),
  attScalar: rule('    attestations:\n      - slsa\n'),
  attTypeNum: rule('    signers: [ { key: ./keys/cosign.pub } ]\n    attestations:\n      - predicateType: 42\n'),
  attSignersNum: rule('    attestations:\n      - predicateType: https://slsa.dev/provenance/v1\n        signers: 42\n'),
  attNoType: rule('    requireDigest: true\n    attestations:\n      - signers: []\n'),
  attNoSigners: rule('    attestations:\n      - predicateType: https://slsa.dev/provenance/v1\n'),
  shadowStar: "version: 1\nrules:\n  - match: '**'\n    requireDigest: true\n  - match: ghcr.io/x/*\n    requireDigest: true\n",
  shadowPartial: "version: 1\nrules:\n  - match: ghcr.io/x/*\n    requireDigest: true\n  - match: [ghcr.io/x/*, ghcr.io/y/*]\n    requireDigest: true\n",
  signerScalar: signer('cosign.pub'),
  signerTwoKindsTlog: signer('key: ./keys/cosign.pub\n        keyless: { issuer: https://a.example, subject: s }\n        tlog: false'),
  keyEmpty: signer('key:'),
  keyNum: signer('key: 42'),
  tlogStr: signer('key: ./keys/cosign.pub\n        tlog: "false"'),
  tlogEmpty: signer('key: ./keys/cosign.pub\n        tlog:'),
  tlogKeyless: signer('keyless: { issuer: https://a.example, subject: s }\n        tlog: false'),
  tlogAlone: signer('tlog: false'),
  keylessNum: signer('keyless: 42'),
  keylessNoIssuer: signer('keyless: { subject: s }'),
  keylessIssuerNum: signer('keyless: { issuer: 42, subject: s }'),
  keylessSubjectNum: signer("keyless: { issuer: https://a.example, subject: 42, subjectRegExp: 'x' }"),
  keylessRegExpNum: signer('keyless: { issuer: https://a.example, subjectRegExp: 42, subject: s }'),
  keylessRegExpBad: signer("keyless: { issuer: https://a.example, subjectRegExp: '(', subject: s }"),
  keylessHttp: signer('keyless: { issuer: accounts.example/https://x, subject: s }'),
  notationNum: signer('notation: 42'),
  notationNoCert: signer('notation: {}'),
  notationCertNum: signer('notation: { certificate: 42 }'),
  notationCertMissing: signer('notation: { certificate: ./certs/missing.pem }'),
  notationInlineBad: signer('notation:\n          certificate: |\n            -----BEGIN CERTIFICATE-----\n            AAAA\n            -----END CERTIFICATE-----'),
};

type Diag = [severity: 'error' | 'warning', path: string, start: number, end: number, message: string];
/** `<engine message>` ends a message whose tail comes from V8 or OpenSSL; only the part before it is compared. */
const ENGINE = '<engine message>';
const EXPECTED: Record<keyof typeof CASES, { broken: boolean; d: Diag[] }> = {
  exScalar: { broken: false, d: [["error","exceptions[0]",27,40,"exception exceptions[0] must be a mapping (key: value pairs)"]] },
  exMissingOwner: { broken: false, d: [["error","exceptions[0]",27,32,"exception exceptions[0] is missing `owner`"]] },
  exUnknownKey: { broken: false, d: [["error","exceptions[0].note",104,108,"unknown key `note` in exception exceptions[0]; allowed: image, reason, owner, expires, scope"]] },
  exImageNum: { broken: false, d: [["error","exceptions[0].image",34,36,"`image` must be a string (got number 42; put it in quotes to make it a string)"]] },
  exImageTag: { broken: false, d: [["error","exceptions[0].image",34,54,"`ghcr.io/acme/api:1.0` has a tag: an exception covers a digest (name@sha256:…) or a repository glob, because a tag can move to other content"]] },
  exReasonNum: { broken: false, d: [["error","exceptions[0].reason",61,63,"`reason` must be a string (got number 42; put it in quotes to make it a string)"]] },
  exReasonBlank: { broken: false, d: [["error","exceptions[0].reason",61,66,"`reason` must not be empty"]] },
  exOwnerNum: { broken: false, d: [["error","exceptions[0].owner",74,76,"`owner` must be a string (got number 42; put it in quotes to make it a string)"]] },
  exExpiresNum: { broken: false, d: [["error","exceptions[0].expires",89,91,"`expires` must be a string (got number 42; put it in quotes to make it a string)"]] },
  exExpiresPrefix: { broken: false, d: [["error","exceptions[0].expires",89,100,"`expires` must be a date written YYYY-MM-DD (e.g. 2026-12-31), got `x2030-01-01`"]] },
  exExpiresSuffix: { broken: false, d: [["error","exceptions[0].expires",89,100,"`expires` must be a date written YYYY-MM-DD (e.g. 2026-12-31), got `2030-01-01x`"]] },
  exMonth13: { broken: false, d: [["error","exceptions[0].expires",89,99,"`expires` must be a date written YYYY-MM-DD (e.g. 2026-12-31), got `2026-13-01`"]] },
  exScopeNum: { broken: false, d: [["error","exceptions[0].scope",111,113,"`scope` must be a string (got number 42; put it in quotes to make it a string)"]] },
  exScopeEmpty: { broken: false, d: [["error","exceptions[0].scope",104,109,"`scope` needs a value (remove the key to use the default)"]] },
  exScopeDrive: { broken: false, d: [["error","exceptions[0].scope[0]",111,125,"`C:/deploy/**`: scope globs are relative to the workspace root (no leading /, drive letter or ..)"]] },
  exScopeDotDot: { broken: false, d: [["error","exceptions[0].scope[0]",112,132,"`deploy/../secrets/**`: scope globs are relative to the workspace root (no leading /, drive letter or ..)"]] },
  exScopeBackslash: { broken: false, d: [["error","exceptions[0].scope[0]",112,125,"`deploy\\..\\x`: scope globs are relative to the workspace root (no leading /, drive letter or ..)"]] },
  exBadGlob: { broken: false, d: [["error","exceptions[0].image",34,44,"`ghcr.io//x` has an empty path segment (leading, trailing or double `/`)"]] },
  exUpper: { broken: false, d: [["warning","exceptions[0].image",34,48,"`ghcr.io/Acme/*` has upper-case letters in the repository path; repository names are lower-case, so it never matches"]] },
  exStarDigest: { broken: false, d: [["error","exceptions[0].image",34,110,"`**@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`: a digest reference needs an exact repository name, not a glob"]] },
  exYaml11: { broken: false, d: [] },
  emptyComment: { broken: true, d: [["error","",0,1,"the policy file is empty; it needs at least `version: 1`"]] },
  emptyText: { broken: true, d: [["error","",0,0,"the policy file is empty; it needs at least `version: 1`"]] },
  topList: { broken: true, d: [["error","",0,13,"the policy file must be a mapping (key: value pairs)"]] },
  missingVersion: { broken: true, d: [["error","",0,5,"the policy file is missing `version`; add `version: 1` at the top"]] },
  versionEmpty: { broken: true, d: [["error","version",0,7,"`version` needs a value"]] },
  numericKey: { broken: true, d: [["error","",11,13,"keys of the policy file must be plain strings"]] },
  nearKey2: { broken: true, d: [["error","versionxy",11,20,"unknown key `versionxy` in the policy file; did you mean `version`?"]] },
  farKey: { broken: true, d: [["error","zzz",11,14,"unknown key `zzz` in the policy file; allowed: version, trustedRoot, rules, exceptions, severity"]] },
  trustedRootEmpty: { broken: true, d: [["error","trustedRoot",11,22,"`trustedRoot` needs a value (remove the key to use the default)"]] },
  rulesEmpty: { broken: true, d: [["error","rules",11,16,"`rules` needs a value (remove the key to use the default)"]] },
  exceptionsEmpty: { broken: true, d: [["error","exceptions",11,21,"`exceptions` needs a value (remove the key to use the default)"]] },
  severityEmpty: { broken: true, d: [["error","severity",11,19,"`severity` needs a value (remove the key to use the default)"]] },
  severityAlias: { broken: true, d: [["error","severity",21,23,"`severity` must be a mapping of rule id to level, e.g. `unpinned-tag: error` or `templated: off`"]] },
  severityNumKey: { broken: true, d: [["error","severity",22,23,"keys of `severity` must be rule ids, e.g. `unpinned-tag: error` or `templated: off`"]] },
  unsorted: { broken: true, d: [["error","severity",21,24,"`severity` must be a mapping of rule id to level, e.g. `unpinned-tag: error` or `templated: off`"],["error","rules",32,34,"`rules` must be a list"]] },
  syntaxEof: { broken: true, d: [["error","",19,20,"YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]"]] },
  containedThenBreak: { broken: true, d: [["error","severity.nope",111,115,"unknown rule \"nope\"; rules are: unpinned-tag, implicit-latest, templated, invalid-reference, unreadable-yaml, duplicate-key, file-too-large, analysis-failed, tag-moved, digest-not-found, resolve-failed, single-platform-pin, admission-denied, admission-audit, admission-error, admission-not-evaluated, admission-policy-invalid, unsigned, untrusted-signer, invalid-signature, missing-attestation, verify-failed, exception-expired, tag-not-allowed, policy-invalid, not-in-lock, lock-policy-changed"]] },
  yamlWarning: { broken: false, d: [["warning","",0,8,"Unknown directive %FOO"]] },
  versionTwo: { broken: true, d: [["error","version",9,10,"unsupported policy version `2`; this version of Image Trust reads `version: 1`"]] },
  trustedRootMissing: { broken: true, d: [["error","trustedRoot",24,38,"cannot read trusted root `./missing.json` (/ws/config/missing.json): ENOENT: no such file or directory, open '/ws/config/missing.json'"]] },
  trustedRootNotJson: { broken: true, d: [["error","trustedRoot",24,39,"trusted root `./root-bad.json` is not valid JSON: <engine message>"]] },
  ruleNoMatch: { broken: true, d: [["error","rules[0]",22,26,"rule rules[0] is missing `match`"]] },
  trustedRootNum: { broken: true, d: [["error","trustedRoot",24,26,"`trustedRoot` (a path to a Sigstore trusted_root.json) must be a string (got number 42; put it in quotes to make it a string)"]] },
  trustedRootNull: { broken: true, d: [["error","trustedRoot",24,40,"`./root-null.json` is not a Sigstore trusted root (its mediaType should start with application/vnd.dev.sigstore.trustedroot)"]] },
  trustedRootNumMedia: { broken: true, d: [["error","trustedRoot",24,39,"`./root-num.json` is not a Sigstore trusted root (its mediaType should start with application/vnd.dev.sigstore.trustedroot)"]] },
  ruleScalar: { broken: true, d: [["error","rules[0]",22,27,"rule rules[0] must be a mapping (key: value pairs)"]] },
  ruleNameMap: { broken: true, d: [["error","rules[0].name",54,60,"`name` must be a string"]] },
  ruleMatchNum: { broken: true, d: [["error","rules[0].match",29,31,"`match` must be a string (got number 42; put it in quotes to make it a string)"]] },
  ruleMatchMap: { broken: true, d: [["error","rules[0].match",29,35,"`match` (a string or a list of strings) must be a list"]] },
  ruleMatchNulls: { broken: true, d: [["error","rules[0].match[0]",30,31,"each entry of `match` must be a string (got number 1; put it in quotes to make it a string)"],["error","rules[0].match[1]",33,34,"each entry of `match` must be a string (got number 2; put it in quotes to make it a string)"]] },
  ruleMatchNullItem: { broken: true, d: [["error","rules[0].match[1]",43,44,"each entry of `match` must be a string"]] },
  ruleMatchMixed: { broken: true, d: [["error","rules[0].match[1]",45,52,"`x:tag` holds a tag; match patterns are repository names without tag or digest"]] },
  ruleModeNum: { broken: true, d: [["error","rules[0].mode",54,56,"`mode` must be a string (got number 42; put it in quotes to make it a string)"]] },
  ruleReqDigestNum: { broken: true, d: [["error","rules[0].requireDigest",63,64,"`requireDigest` must be true or false"]] },
  ruleSignersNum: { broken: true, d: [["error","rules[0].signers",57,59,"`signers` must be a list"]] },
  ruleAttNum: { broken: true, d: [["error","rules[0].attestations",86,88,"`attestations` must be a list"]] },
  ruleVerifyPlatforms: { broken: true, d: [["error","rules[0].verifyPlatforms",89,94,"`verifyPlatforms` must be true or false"]] },
  attOnlyEnforce: { broken: false, d: [] },
  attScalar: { broken: true, d: [["error","rules[0].attestations[0]",70,74,"attestation rules[0].attestations[0] must be a mapping (key: value pairs)"]] },
  attTypeNum: { broken: true, d: [["error","rules[0].attestations[0].predicateType",129,131,"`predicateType` must be a string (got number 42; put it in quotes to make it a string)"]] },
  attSignersNum: { broken: true, d: [["error","rules[0].attestations[0].signers",133,135,"`signers` must be a list"]] },
  attNoType: { broken: true, d: [["error","rules[0].attestations[0]",94,101,"attestation rules[0].attestations[0] is missing `predicateType`"]] },
  attNoSigners: { broken: false, d: [["warning","rules[0].attestations[0]",70,116,"no signers for attestation `https://slsa.dev/provenance/v1` (here or on the rule): it can never verify"]] },
  shadowStar: { broken: false, d: [["warning","rules[1]",62,105,"rule `rules[1]` never applies: rule `rules[0]` comes first and matches the same images (the first matching rule wins)"]] },
  shadowPartial: { broken: false, d: [] },
  signerScalar: { broken: true, d: [["error","rules[0].signers[0]",65,75,"a signer (`key`, `keyless` or `notation`) must be a mapping (key: value pairs)"]] },
  signerTwoKindsTlog: { broken: true, d: [["error","rules[0].signers[0]",96,103,"each signer needs exactly one of `key`, `keyless` or `notation`; list several signers as separate entries"]] },
  keyEmpty: { broken: true, d: [["error","rules[0].signers[0].key",65,68,"`key` needs a value"]] },
  keyNum: { broken: true, d: [["error","rules[0].signers[0].key",70,72,"`key` (a path to a public key file, or inline PEM) must be a string (got number 42; put it in quotes to make it a string)"]] },
  tlogStr: { broken: true, d: [["error","rules[0].signers[0].tlog",102,109,"`tlog` must be true or false"]] },
  tlogEmpty: { broken: true, d: [["error","rules[0].signers[0].tlog",96,100,"`tlog` needs a value: `false` to accept key signatures without a transparency-log entry (remove the key to require one)"]] },
  tlogKeyless: { broken: true, d: [["error","rules[0].signers[0].tlog",124,128,"`tlog` applies only to `key` signers (keyless signatures always need a transparency-log entry); remove it"]] },
  tlogAlone: { broken: true, d: [["error","rules[0].signers[0].tlog",65,69,"`tlog` applies only to `key` signers; this signer has no `key` (each signer needs exactly one of `key`, `keyless` or `notation`)"]] },
  keylessNum: { broken: true, d: [["error","rules[0].signers[0].keyless",74,76,"`keyless` must be a mapping (key: value pairs)"]] },
  keylessNoIssuer: { broken: true, d: [["error","rules[0].signers[0].keyless",76,83,"`keyless` is missing `issuer`"]] },
  keylessIssuerNum: { broken: true, d: [["error","rules[0].signers[0].keyless.issuer",84,86,"`issuer` must be a string (got number 42; put it in quotes to make it a string)"]] },
  keylessSubjectNum: { broken: true, d: [["error","rules[0].signers[0].keyless.subject",112,114,"`subject` must be a string (got number 42; put it in quotes to make it a string)"]] },
  keylessRegExpNum: { broken: true, d: [["error","rules[0].signers[0].keyless.subjectRegExp",118,120,"`subjectRegExp` must be a string (got number 42; put it in quotes to make it a string)"]] },
  keylessRegExpBad: { broken: true, d: [["error","rules[0].signers[0].keyless.subjectRegExp",118,121,"`subjectRegExp` is not a valid regular expression: <engine message>"]] },
  keylessHttp: { broken: false, d: [["warning","rules[0].signers[0].keyless.issuer",84,110,"`issuer` is usually an https URL of an OIDC provider, e.g. https://token.actions.githubusercontent.com"]] },
  notationNum: { broken: true, d: [["error","rules[0].signers[0].notation",75,77,"`notation` must be a mapping (key: value pairs)"]] },
  notationNoCert: { broken: true, d: [["error","rules[0].signers[0].notation",75,77,"`notation` is missing `certificate`"]] },
  notationCertNum: { broken: true, d: [["error","rules[0].signers[0].notation.certificate",90,92,"`certificate` (a path to a PEM certificate file, or inline PEM) must be a string (got number 42; put it in quotes to make it a string)"]] },
  notationCertMissing: { broken: true, d: [["error","rules[0].signers[0].notation.certificate",90,109,"cannot read certificate file `./certs/missing.pem` (/ws/config/certs/missing.pem): ENOENT: no such file or directory, open '/ws/config/certs/missing.pem'"]] },
  notationInlineBad: { broken: true, d: [["error","rules[0].signers[0].notation.certificate",98,195,"inline certificate: certificate 1 is invalid: <engine message>"]] },
};

describe('policy diagnostics: exact path, range, severity and message', () => {
  for (const [name, text] of Object.entries(CASES)) {
    test(name, () => {
      const r = load(text, FILES);
      const want = EXPECTED[name];
      const got = r.diagnostics.map((d, i): Diag => {
        const message = want.d[i]?.[4].endsWith(ENGINE) && d.message.startsWith(want.d[i][4].slice(0, -ENGINE.length)) ? want.d[i][4] : d.message;
        return [d.severity, d.path, d.range.start, d.range.end, message];
      });
      assert.deepEqual(got, want.d);
      assert.equal(r.broken, want.broken);
      assert.equal(r.policy === null, want.broken);
    });
  }
});

describe('policy diagnostics: what is kept', () => {
  test('an exception entry with any error is dropped, even when every required field is valid', () => {
    assert.deepEqual(load(CASES.exUnknownKey).policy!.exceptions, []);
    assert.deepEqual(load(CASES.exBadGlob).policy!.exceptions, []);
  });

  test('exceptions are read to exact values: glob target, no scope, the expiry date', () => {
    const text = ex(`  - image: ghcr.io/acme/*\n${good}`);
    assert.deepEqual(load(text).policy!.exceptions, [
      {
        index: 0,
        image: 'ghcr.io/acme/*',
        target: { type: 'glob', pattern: 'ghcr.io/acme/*' },
        reason: 'r',
        owner: 'o',
        expires: '2030-01-01',
        scope: null,
        range: { start: text.indexOf('image:'), end: text.length },
        expiresRange: { start: text.indexOf('2030-01-01'), end: text.indexOf('2030-01-01') + 10 },
      },
    ]);
  });

  test('a YAML 1.1 timestamp `expires` is read as its date', () => {
    assert.deepEqual(load(CASES.exYaml11).policy!.exceptions.map((e) => e.expires), ['2030-01-31']);
  });

  test('an exception with a glob warning still applies', () => {
    assert.deepEqual(load(CASES.exUpper).policy!.exceptions.map((e) => e.target), [{ type: 'glob', pattern: 'ghcr.io/Acme/*' }]);
  });

  test('the smallest policy, to the value', () => {
    const r = load('version: 1\n');
    assert.deepEqual(r.policy, { version: 1, policyPath: POLICY_PATH, trustedRoot: null, rules: [], defaultRule: defaultRule(), exceptions: [], severity: {} });
    // The hash covers the path, the text and every file read (none here).
    assert.equal(r.hash, createHash('sha256').update(JSON.stringify([POLICY_PATH, 'version: 1\n', []])).digest('hex'));
  });

  test('a rule without optional keys, to the value (requireDigest and verifyPlatforms false)', () => {
    const text = 'version: 1\nrules:\n  - match: ghcr.io/acme/*\n    mode: audit\n';
    assert.deepEqual(load(text).policy!.rules, [
      {
        name: 'rules[0]',
        match: ['ghcr.io/acme/*'],
        normalizedMatch: ['ghcr.io/acme/*'],
        mode: 'audit',
        requireDigest: false,
        verifyPlatforms: false,
        signers: [],
        attestations: [],
        range: { start: text.indexOf('match:'), end: text.length },
      },
    ]);
  });

  test('`verifyPlatforms: true` is read as true, `false` as false', () => {
    assert.deepEqual(load(rule('    requireDigest: true\n    verifyPlatforms: true\n')).policy!.rules.map((r) => r.verifyPlatforms), [true]);
    assert.deepEqual(load(rule('    requireDigest: true\n    verifyPlatforms: false\n')).policy!.rules.map((r) => r.verifyPlatforms), [false]);
  });

  test('the default rule, to the value: every image, audit, nothing required', () => {
    assert.deepEqual(defaultRule(), { name: 'default', match: ['**'], normalizedMatch: ['**'], mode: 'audit', requireDigest: false, verifyPlatforms: false, signers: [], attestations: [], range: null });
  });

  test('a rule whose host is a character class matches those hosts only', () => {
    const policy = load("version: 1\nrules:\n  - match: '[gq]hcr.io/acme/*'\n    requireDigest: true\n").policy!;
    assert.equal(matchRule(policy, 'ghcr.io/acme/app').index, 0);
    assert.equal(matchRule(policy, 'qhcr.io/acme/app').index, 0);
    assert.equal(matchRule(policy, 'xhcr.io/acme/app').index, null);
  });
});

describe('exceptions: precedence and wording', () => {
  const policy = (entries: [string, string][]): Policy => {
    const text = ex(entries.map(([owner, expires]) => `  - image: ghcr.io/acme/*\n    reason: r\n    owner: ${owner}\n    expires: ${expires}\n`).join(''));
    const r = load(text);
    assert.deepEqual(r.diagnostics, []);
    return r.policy!;
  };
  const ref = { name: 'ghcr.io/acme/app', digest: D };
  const now = new Date('2026-02-01T12:00:00Z');

  test('of two expired exceptions the more recently expired is reported, whatever the order', () => {
    assert.equal(findException(policy([['recent', '2026-01-10'], ['older', '2026-01-05']]), ref, now).expired?.owner, 'recent');
    assert.equal(findException(policy([['older', '2026-01-05'], ['recent', '2026-01-10']]), ref, now).expired?.owner, 'recent');
  });

  test('of two exceptions expired on the same day the first is reported', () => {
    assert.deepEqual(findException(policy([['first', '2026-01-10'], ['second', '2026-01-10']]), ref, now).expired?.owner, 'first');
  });

  test('one day left is singular', () => {
    const p = policy([['o', '2026-02-02']]);
    assert.equal(describeException(p.exceptions[0], 1), 'exception (owner o): r — expires 2026-02-02, 1 day left');
    assert.equal(findException(p, ref, now).active?.message, 'exception (owner o): r — expires 2026-02-02, 1 day left');
  });

  test('the expired-exception warning points at that entry’s `expires`', () => {
    const p = policy([['live', '2030-01-01'], ['gone', '2026-01-10']]);
    assert.deepEqual(expiredExceptionDiagnostics(p, now), [
      {
        message: 'exception expired on 2026-01-10 (owner gone); renew or remove it',
        range: p.exceptions[1].expiresRange,
        severity: 'warning',
        path: 'exceptions[1].expires',
      },
    ]);
  });
});

describe('globs: edge cases of matching', () => {
  test('no patterns match nothing', () => {
    assert.equal(compileRepositoryGlobs([])('docker.io/library/nginx'), false);
    assert.equal(compilePathGlobs([])('deploy/a.yaml'), false);
  });

  test('an empty path segment is refused with its reason', () => {
    assert.deepEqual(checkRepositoryGlob('ghcr.io//x'), { ok: false, error: '`ghcr.io//x` has an empty path segment (leading, trailing or double `/`)' });
  });

  test('scope globs: dot-folders match, `!` does not negate, extglobs are literal', () => {
    assert.equal(compilePathGlobs(['deploy/**'])('deploy/.github/workflows/ci.yml'), true);
    assert.equal(compilePathGlobs(['**'])('.github/workflows/ci.yml'), true);
    assert.equal(compilePathGlobs(['!deploy/**'])('other/x.yml'), false);
    assert.equal(compilePathGlobs(['@(a|b)/x.yml'])('a/x.yml'), false);
    assert.equal(compilePathGlobs(['+(a)/x.yml'])('aa/x.yml'), false);
  });

  test('scope globs: only leading `./` prefixes are dropped, all of them', () => {
    assert.equal(compilePathGlobs(['deploy/**'])('././deploy/a.yml'), true);
    assert.equal(compilePathGlobs(['ab.yml'])('a./b.yml'), false);
  });
});

describe('pem: what is accepted as a key or certificate', () => {
  const certBlock = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(CERT_PEM)![0];
  const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----';

  test('inline PEM may start after whitespace; text around it is not inline PEM', () => {
    assert.equal(looksLikeInlinePem('\n  -----BEGIN PUBLIC KEY-----\n'), true);
    assert.equal(looksLikeInlinePem('key -----BEGIN PUBLIC KEY-----'), false);
  });

  test('two public keys in one key file are refused', () => {
    assert.deepEqual(checkPublicKeyPem(KEY.publicPem + OTHER_KEY.publicPem), { ok: false, error: 'expected one public key, found 2 PEM blocks; list each key as its own signer' });
  });

  test('an RSA PUBLIC KEY (PKCS#1) block is a public key; another label is refused by name', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const r = checkPublicKeyPem(String(publicKey.export({ type: 'pkcs1', format: 'pem' })));
    assert.equal(r.ok, true);
    assert.equal(r.ok && r.value.pem, String(publicKey.export({ type: 'spki', format: 'pem' })));
    assert.deepEqual(checkPublicKeyPem('-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n'), { ok: false, error: 'unexpected PEM block "FOO" (expected PUBLIC KEY)' });
  });

  test('no certificate at all is refused', () => {
    assert.deepEqual(checkCertificatesPem('not pem\n'), { ok: false, error: 'no PEM block found (expected -----BEGIN CERTIFICATE-----)' });
  });

  test('a private key beside a certificate is refused as such', () => {
    assert.deepEqual(checkCertificatesPem(`${certBlock}\n${KEY.privatePem}`), { ok: false, error: 'this holds a PRIVATE key; remove it from the policy at once and keep only certificates' });
  });

  test('a certificate that does not parse is refused, numbered', () => {
    const first = checkCertificatesPem(broken);
    assert.equal(first.ok, false);
    assert.match(!first.ok ? first.error : '', /^certificate 1 is invalid: ./);
    const second = checkCertificatesPem(`${certBlock}\n${broken}\n`);
    assert.match(!second.ok ? second.error : '', /^certificate 2 is invalid: ./);
  });

  test('a chain is returned as its certificate blocks, one per line, ending in a newline', () => {
    assert.deepEqual(checkCertificatesPem(`junk\n${certBlock}\nmore junk\n${certBlock}`), { ok: true, value: `${certBlock}\n${certBlock}\n` });
  });
});
