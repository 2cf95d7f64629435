import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expiredExceptionDiagnostics, findException, type Policy } from '../../server/src/core/policy';
import { errorsOf, load } from '../support/policy-fixtures';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;

function policyWith(exceptions: string): Policy {
  const r = load(`version: 1\nexceptions:\n${exceptions}`);
  assert.deepEqual(errorsOf(r), [], 'fixture policy must be valid');
  return r.policy!;
}

const LEGACY = `  - image: registry.example.com/prod/legacy@${DIGEST_A}
    reason: vendor image, unsigned until Q3
    owner: team-platform
    expires: 2026-01-31
`;

describe('exceptions: digest references', () => {
  const policy = policyWith(LEGACY);
  const ref = { name: 'registry.example.com/prod/legacy', digest: DIGEST_A };

  test('an active exception reports owner, reason and days left', () => {
    const { active, expired } = findException(policy, ref, new Date('2026-01-21T12:00:00Z'));
    assert.equal(expired, undefined);
    assert.ok(active);
    assert.equal(active.owner, 'team-platform');
    assert.equal(active.reason, 'vendor image, unsigned until Q3');
    assert.equal(active.daysLeft, 10);
    assert.equal(active.message, 'exception (owner team-platform): vendor image, unsigned until Q3 — expires 2026-01-31, 10 days left');
  });

  test('applies through the end of the expiry day (UTC), then reports it expired', () => {
    const lastMoment = findException(policy, ref, new Date('2026-01-31T23:59:59.999Z'));
    assert.equal(lastMoment.active?.daysLeft, 0);
    assert.match(lastMoment.active!.message, /expires today/);
    const after = findException(policy, ref, new Date('2026-02-01T00:00:00Z'));
    assert.equal(after.active, undefined);
    assert.equal(after.expired?.message, 'exception expired on 2026-01-31 (owner team-platform)');
    assert.equal(after.expired?.daysLeft, -1);
  });

  test('another digest, or no digest at all, is not covered', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    assert.deepEqual(findException(policy, { ...ref, digest: DIGEST_B }, now), {});
    assert.deepEqual(findException(policy, { ...ref, digest: null }, now), {});
    assert.deepEqual(findException(policy, { name: 'registry.example.com/prod/other', digest: DIGEST_A }, now), {});
  });

  test('familiar names and a tag before the digest are normalized', () => {
    const p = policyWith(`  - image: nginx:1.25@${DIGEST_B}\n    reason: r\n    owner: o\n    expires: 2030-01-01\n`);
    assert.deepEqual(p.exceptions[0].target, { type: 'digest', name: 'docker.io/library/nginx', digest: DIGEST_B });
    assert.ok(findException(p, { name: 'docker.io/library/nginx', digest: DIGEST_B }, new Date('2026-01-01')).active);
    assert.ok(findException(p, { name: 'nginx', digest: DIGEST_B.toUpperCase().replace('SHA256', 'sha256') }, new Date('2026-01-01')).active);
  });
});

describe('exceptions: repository globs and precedence', () => {
  test('a glob covers every image of matching repositories, tag or digest', () => {
    const p = policyWith('  - image: ghcr.io/acme/experimental-*\n    reason: prototypes\n    owner: research\n    expires: 2030-01-01\n');
    const now = new Date('2026-01-01');
    assert.ok(findException(p, { name: 'ghcr.io/acme/experimental-x', digest: null }, now).active);
    assert.ok(findException(p, { name: 'ghcr.io/acme/experimental-x', digest: DIGEST_A }, now).active);
    assert.deepEqual(findException(p, { name: 'ghcr.io/acme/stable', digest: null }, now), {});
    assert.deepEqual(findException(p, { name: 'ghcr.io/acme/experimental-x/sub', digest: null }, now), {});
  });

  test('an exception for every image is allowed but flagged', () => {
    const r = load('version: 1\nexceptions:\n  - image: "**"\n    reason: freeze\n    owner: o\n    expires: 2030-01-01\n');
    assert.equal(r.broken, false);
    assert.match(r.diagnostics.map((d) => `${d.severity}: ${d.message}`).join('\n'), /^warning: `\*\*` exempts every image/);
    assert.ok(findException(r.policy!, { name: 'quay.io/any/thing', digest: null }, new Date('2026-01-01')).active);
  });

  test('an active exception wins over an expired one; the most recently expired is reported', () => {
    const p = policyWith(`  - image: ghcr.io/acme/*\n    reason: old\n    owner: a\n    expires: 2025-01-01\n  - image: ghcr.io/acme/*\n    reason: newer\n    owner: b\n    expires: 2025-06-01\n`);
    const bothExpired = findException(p, { name: 'ghcr.io/acme/x', digest: null }, new Date('2026-01-01'));
    assert.equal(bothExpired.expired?.owner, 'b');
    const stillActive = findException(p, { name: 'ghcr.io/acme/x', digest: null }, new Date('2025-03-01'));
    assert.equal(stillActive.active?.owner, 'b');
    assert.equal(stillActive.expired, undefined);
  });

  test('expired exceptions are flagged in the policy file at their expires value', () => {
    const text = `version: 1\nexceptions:\n${LEGACY}`;
    const p = policyWith(LEGACY);
    assert.deepEqual(expiredExceptionDiagnostics(p, new Date('2026-01-31T20:00:00Z')), []);
    const diags = expiredExceptionDiagnostics(p, new Date('2026-02-02T00:00:00Z'));
    assert.equal(diags.length, 1);
    assert.equal(diags[0].severity, 'warning');
    assert.equal(text.slice(diags[0].range.start, diags[0].range.end), '2026-01-31');
    assert.match(diags[0].message, /^exception expired on 2026-01-31 \(owner team-platform\); renew or remove it$/);
  });
});

describe('exceptions: scope by path', () => {
  const p = policyWith(`${LEGACY}    scope: ["deploy/legacy/**", "charts/*/values.yaml"]\n`);
  const ref = { name: 'registry.example.com/prod/legacy', digest: DIGEST_A };
  const now = new Date('2026-01-01');

  test('applies only in files matching a scope glob', () => {
    assert.ok(findException(p, { ...ref, path: 'deploy/legacy/app/deployment.yaml' }, now).active);
    assert.ok(findException(p, { ...ref, path: 'charts/legacy/values.yaml' }, now).active);
    assert.ok(findException(p, { ...ref, path: './deploy/legacy/x.yaml' }, now).active);
    assert.ok(findException(p, { ...ref, path: 'deploy\\legacy\\x.yaml' }, now).active, 'Windows separators');
    assert.deepEqual(findException(p, { ...ref, path: 'deploy/prod/deployment.yaml' }, now), {});
    assert.deepEqual(findException(p, { ...ref, path: 'charts/a/b/values.yaml' }, now), {});
  });

  test('a scoped exception does not apply when the path is unknown', () => {
    assert.deepEqual(findException(p, ref, now), {});
  });
});

describe('exceptions: malformed entries are errors and do not apply', () => {
  const cases: { name: string; entry: string; message: RegExp; at: string }[] = [
    { name: 'missing owner', entry: `  - image: ghcr.io/acme/*\n    reason: r\n    expires: 2030-01-01\n`, message: /missing `owner`/, at: 'image' },
    { name: 'missing reason', entry: `  - image: ghcr.io/acme/*\n    owner: o\n    expires: 2030-01-01\n`, message: /missing `reason`/, at: 'image' },
    { name: 'missing expires', entry: `  - image: ghcr.io/acme/*\n    reason: r\n    owner: o\n`, message: /missing `expires`/, at: 'image' },
    { name: 'empty owner', entry: `  - image: ghcr.io/acme/*\n    reason: r\n    owner: ""\n    expires: 2030-01-01\n`, message: /`owner` must not be empty/, at: '""' },
    { name: 'tag only', entry: `  - image: ghcr.io/acme/api:1.0\n    reason: r\n    owner: o\n    expires: 2030-01-01\n`, message: /has a tag/, at: 'ghcr.io/acme/api:1.0' },
    { name: 'bad digest', entry: `  - image: ghcr.io/acme/api@sha256:abc\n    reason: r\n    owner: o\n    expires: 2030-01-01\n`, message: /not a valid digest/, at: 'ghcr.io/acme/api@sha256:abc' },
    { name: 'glob with digest', entry: `  - image: ghcr.io/acme/*@${DIGEST_A}\n    reason: r\n    owner: o\n    expires: 2030-01-01\n`, message: /exact repository name/, at: 'ghcr.io/acme/*@' },
    { name: 'impossible date', entry: `  - image: ghcr.io/acme/*\n    reason: r\n    owner: o\n    expires: 2026-02-30\n`, message: /YYYY-MM-DD.*2026-02-30/, at: '2026-02-30' },
    { name: 'date in another format', entry: `  - image: ghcr.io/acme/*\n    reason: r\n    owner: o\n    expires: 31/12/2026\n`, message: /YYYY-MM-DD/, at: '31/12/2026' },
    { name: 'absolute scope', entry: `  - image: ghcr.io/acme/*\n    reason: r\n    owner: o\n    expires: 2030-01-01\n    scope: [/etc/x]\n`, message: /relative to the workspace root/, at: '/etc/x' },
    { name: 'unknown key', entry: `  - image: ghcr.io/acme/*\n    reason: r\n    owner: o\n    expire: 2030-01-01\n`, message: /unknown key `expire`.*did you mean `expires`/, at: 'expire:' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const text = `version: 1\nexceptions:\n${c.entry}  - image: quay.io/ok/*\n    reason: fine\n    owner: o\n    expires: 2030-01-01\n`;
      const r = load(text);
      assert.equal(r.broken, false, 'a bad exception drops only itself');
      const errors = errorsOf(r);
      assert.ok(errors.length >= 1);
      assert.ok(errors.some((e) => c.message.test(e.message)), JSON.stringify(errors));
      const err = errors.find((e) => c.message.test(e.message))!;
      assert.equal(err.range.start, text.indexOf(c.at, text.indexOf('exceptions:')), JSON.stringify(err));
      assert.ok(err.path.startsWith('exceptions[0]'));
      assert.deepEqual(r.policy!.exceptions.map((e) => e.image), ['quay.io/ok/*']);
      assert.deepEqual(findException(r.policy!, { name: 'ghcr.io/acme/api', digest: DIGEST_A, path: 'x.yaml' }, new Date('2026-01-01')), {});
    });
  }

  test('the missing owner case gives exactly one error', () => {
    const r = load(`version: 1\nexceptions:\n  - image: ghcr.io/acme/*\n    reason: r\n    expires: 2030-01-01\n`);
    assert.equal(errorsOf(r).length, 1);
  });

  test('`exceptions` that is not a list drops all exceptions but keeps the rules', () => {
    const r = load('version: 1\nrules:\n  - match: x/*\n    requireDigest: true\nexceptions: {}\n');
    assert.equal(r.broken, false);
    assert.equal(r.policy!.rules.length, 1);
    assert.deepEqual(r.policy!.exceptions, []);
    assert.match(errorsOf(r)[0].message, /`exceptions` must be a list/);
  });
});

// Issue 10, defect 4: an exception must cover (and only cover) the same images whatever the host's spelling.
describe('exceptions: registry host spellings', () => {
  const now = new Date('2026-01-01');
  const entry = (image: string) => `  - image: ${JSON.stringify(image)}\n    reason: r\n    owner: o\n    expires: 2030-01-01\n`;

  test('a digest exception covers every spelling of its repository, and only with its digest', () => {
    const p = policyWith(entry(`ghcr.io/acme/api@${DIGEST_A}`));
    for (const name of ['ghcr.io/acme/api', 'GHCR.IO/acme/api', 'ghcr.io:443/acme/api', 'Ghcr.Io:443/acme/api']) {
      assert.ok(findException(p, { name, digest: DIGEST_A }, now).active, name);
      assert.deepEqual(findException(p, { name, digest: DIGEST_B }, now), {}, `${name} with another digest`);
    }
    assert.deepEqual(findException(p, { name: 'ghcr.io:5000/acme/api', digest: DIGEST_A }, now), {}, 'another port is another registry');
  });

  test('a digest exception written with an upper-case host or :443 is stored canonical', () => {
    for (const image of [`GHCR.IO/acme/api@${DIGEST_A}`, `ghcr.io:443/acme/api:1.0@${DIGEST_A}`]) {
      const p = policyWith(entry(image));
      assert.deepEqual(p.exceptions[0].target, { type: 'digest', name: 'ghcr.io/acme/api', digest: DIGEST_A }, image);
      assert.ok(findException(p, { name: 'ghcr.io/acme/api', digest: DIGEST_A }, now).active, image);
    }
  });

  test('Docker Hub aliases are docker.io, for the exception and for the reference', () => {
    for (const image of [`nginx@${DIGEST_A}`, `registry-1.docker.io/library/nginx@${DIGEST_A}`, `Index.Docker.IO/nginx@${DIGEST_A}`]) {
      const p = policyWith(entry(image));
      assert.deepEqual(p.exceptions[0].target, { type: 'digest', name: 'docker.io/library/nginx', digest: DIGEST_A }, image);
      for (const name of ['nginx', 'registry-1.docker.io/library/nginx', 'index.docker.io/nginx', 'Docker.IO/library/nginx', 'docker.io:443/nginx']) {
        assert.ok(findException(p, { name, digest: DIGEST_A }, now).active, `${image} covers ${name}`);
      }
    }
  });

  test('a glob exception covers every spelling of matching repositories', () => {
    for (const image of ['ghcr.io/acme/*', 'GHCR.IO/acme/*', 'ghcr.io:443/acme/*']) {
      const p = policyWith(entry(image));
      for (const name of ['ghcr.io/acme/x', 'GHCR.IO/acme/x', 'ghcr.io:443/acme/x']) {
        assert.ok(findException(p, { name, digest: null }, now).active, `${image} covers ${name}`);
      }
      assert.deepEqual(findException(p, { name: 'ghcr.io:5000/acme/x', digest: null }, now), {}, image);
    }
    const hub = policyWith(entry('registry-1.docker.io/library/*'));
    assert.ok(findException(hub, { name: 'nginx', digest: null }, now).active);
    assert.ok(findException(hub, { name: 'Docker.IO/library/redis', digest: null }, now).active);
  });

  test('an IPv6 host in an exception glob is literal: it does not exempt the host `1`', () => {
    const p = policyWith(entry('[::1]:5000/**'));
    assert.ok(findException(p, { name: '[::1]:5000/app', digest: null }, now).active);
    assert.deepEqual(findException(p, { name: '1:5000/app', digest: null }, now), {});
  });

  test('digests are checked by the one digest grammar', () => {
    const r = load(`version: 1\nexceptions:\n${entry(`ghcr.io/acme/api@sha256:${'A'.repeat(64)}`)}`);
    assert.match(errorsOf(r).map((e) => e.message).join('\n'), /not a valid digest/);
    const sha512 = policyWith(entry(`ghcr.io/acme/api@sha512:${'c'.repeat(128)}`));
    assert.equal(sha512.exceptions[0].target.type, 'digest');
  });

  test('a digest exception on an IPv6 host is one exact image; an invalid name is an error', () => {
    const p = policyWith(entry(`[::1]:5000/app@${DIGEST_A}`));
    assert.deepEqual(p.exceptions[0].target, { type: 'digest', name: '[::1]:5000/app', digest: DIGEST_A });
    assert.ok(findException(p, { name: '[::1]:5000/app', digest: DIGEST_A }, now).active);
    const bad = load(`version: 1\nexceptions:\n${entry(`ghcr.io/acme/Api@${DIGEST_A}`)}`);
    assert.match(errorsOf(bad).map((e) => e.message).join('\n'), /lowercase/);
    assert.deepEqual(bad.policy!.exceptions, []);
  });
});
