import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { ImageTrustError } from '../../server/src/core/errors';
import {
  InvalidReferenceError,
  type InvalidReferenceReason,
  canonicalHost,
  dockerRef,
  familiarName,
  formatReference,
  isDigest,
  isTag,
  normalizeName,
  parseNormalizedNamed,
  parseRaw,
  parseReference,
  parseRepositoryName,
  splitRepositoryName,
} from '../../server/src/core/reference';
import { isDigest as registryIsDigest } from '../../server/src/core/registry/digest';

// ---------------------------------------------------------------------------------------------------------
// Vectors restated from distribution/reference's test tables (shared data, read in place).

interface ParseVector {
  input: string;
  repository?: string;
  domain?: string;
  tag?: string;
  digest?: string;
  err?: string;
}
interface RepositoryInfoVector {
  RemoteName: string;
  FamiliarName: string;
  FullName: string;
  AmbiguousName: string;
  Domain: string;
}
interface Vectors {
  about: string;
  parse: ParseVector[];
  normalizedNames: { valid: string[]; invalid: string[] };
  repositoryInfo: RepositoryInfoVector[];
  dockerRef: { name: string; input: string; expected: string }[];
}

const vectorsPath = path.resolve(process.cwd(), '../shared/reference-vectors.json');
const vectors: Vectors | null = existsSync(vectorsPath)
  ? (JSON.parse(readFileSync(vectorsPath, 'utf8')) as Vectors)
  : null;
const skipVectors = vectors === null ? `missing ${vectorsPath}` : false;

/** Which of our reasons may stand for each Go error named in the vectors. */
const GO_ERROR_REASONS: Record<string, readonly InvalidReferenceReason[]> = {
  ErrNameEmpty: ['empty'],
  ErrReferenceInvalidFormat: ['invalid-format', 'invalid-domain', 'invalid-tag', 'invalid-digest'],
  ErrNameContainsUppercase: ['uppercase-repository'],
  ErrNameTooLong: ['name-too-long'],
  'digest.ErrDigestInvalidLength': ['digest-length'],
  'digest.ErrDigestUnsupported': ['unsupported-digest-algorithm'],
};

/** The about text: the Go test rejects sha512 only because it registers sha256 alone; we support sha512. */
function isSupportedSha512Case(v: ParseVector): boolean {
  const digest = v.input.slice(v.input.indexOf('@') + 1);
  return v.err === 'digest.ErrDigestUnsupported' && /^sha512:[a-f0-9]{128}$/.test(digest);
}

function catchInvalid(fn: () => unknown, label: string): InvalidReferenceError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InvalidReferenceError, `${label}: expected InvalidReferenceError, got ${String(e)}`);
    return e;
  }
  assert.fail(`${label}: expected an InvalidReferenceError`);
}

describe('distribution/reference vectors', { skip: skipVectors }, () => {
  const v = vectors!;

  test('about text mentions the sha512 note this suite relies on', () => {
    assert.match(v.about, /sha512/);
  });

  describe('parse (Parse, no normalization)', () => {
    for (const vec of v.parse) {
      test(`parse ${JSON.stringify(vec.input.length > 60 ? vec.input.slice(0, 60) + '…' : vec.input)}`, () => {
        if (vec.err !== undefined && !isSupportedSha512Case(vec)) {
          const err = catchInvalid(() => parseRaw(vec.input), `parseRaw(${JSON.stringify(vec.input)})`);
          const allowed = GO_ERROR_REASONS[vec.err];
          assert.ok(allowed, `unmapped Go error ${vec.err}`);
          assert.ok(
            allowed.includes(err.reason),
            `parseRaw(${JSON.stringify(vec.input)}): reason ${err.reason} does not match ${vec.err}`,
          );
          assert.equal(err.code, 'INVALID_REFERENCE');
          return;
        }
        const got = parseRaw(vec.input);
        const at = vec.input.indexOf('@');
        // The sha512 case carries no expected fields: the name is the part before '@' and the digest follows.
        const repository = vec.repository ?? vec.input.slice(0, at);
        const digest = vec.digest ?? (vec.err !== undefined ? vec.input.slice(at + 1) : null);
        const domain = vec.domain ?? '';
        const msg = `parseRaw(${JSON.stringify(vec.input)})`;
        assert.equal(got.name, repository, `${msg}: name`);
        assert.equal(got.domain, domain, `${msg}: domain`);
        assert.equal(got.path, domain === '' ? repository : repository.slice(domain.length + 1), `${msg}: path`);
        assert.equal(got.tag, vec.tag ?? null, `${msg}: tag`);
        assert.equal(got.digest, digest, `${msg}: digest`);
      });
    }
  });

  // parseNormalizedNamed is Go's ParseNormalizedNamed exactly; parseReference is the same with the canonical host.
  for (const [label, parse] of [['parseNormalizedNamed', parseNormalizedNamed], ['parseReference', parseReference]] as const) {
    describe(`normalizedNames (ParseNormalizedNamed) with ${label}`, () => {
      for (const input of v.normalizedNames.valid) {
        test(`valid ${JSON.stringify(input)}`, () => {
          const ref = parse(input);
          const msg = `${label}(${JSON.stringify(input)})`;
          assert.equal(ref.name, `${ref.domain}/${ref.path}`, `${msg}: name is domain/path`);
          // Normalizing is idempotent, and the familiar form normalizes back to the same reference.
          assert.equal(parse(ref.name).name, ref.name, `${msg}: reparse of full name`);
          // Exception (as upstream): a Docker Hub name of 64 hex digits shortens to something read as an image ID.
          if (!/^[a-f0-9]{64}$/.test(ref.familiar)) {
            assert.equal(parse(ref.familiar).name, ref.name, `${msg}: reparse of familiar form`);
          }
        });
      }
      for (const input of v.normalizedNames.invalid) {
        test(`invalid ${JSON.stringify(input)}`, () => {
          catchInvalid(() => parse(input), `${label}(${JSON.stringify(input)})`);
        });
      }
    });
  }

  describe('repositoryInfo (ParseRepositoryInfo)', () => {
    for (const info of v.repositoryInfo) {
      test(`repository ${info.FullName}`, () => {
        assert.equal(familiarName(info.FullName), info.FamiliarName, `familiarName(${info.FullName})`);
        const canonicalDomain = canonicalHost(info.Domain);
        const canonicalName = `${canonicalDomain}/${info.RemoteName}`;
        for (const name of [info.FamiliarName, info.FullName, info.AmbiguousName]) {
          if (name === '') continue;
          const ref = parseNormalizedNamed(name);
          const msg = `parseNormalizedNamed(${JSON.stringify(name)})`;
          assert.equal(ref.name, info.FullName, `${msg}: name`);
          assert.equal(ref.domain, info.Domain, `${msg}: domain`);
          assert.equal(ref.path, info.RemoteName, `${msg}: path`);
          assert.equal(ref.familiar, info.FamiliarName, `${msg}: familiar`);
          assert.equal(ref.implicitLatest, true, `${msg}: implicitLatest`);
          // The canonical parse differs only in the host's spelling (`Foo` → `FOO`).
          const canonical = parseReference(name);
          assert.deepEqual(
            [canonical.name, canonical.domain, canonical.path, canonical.familiar],
            [canonicalName, canonicalDomain, info.RemoteName, familiarName(canonicalName)],
            `parseReference(${JSON.stringify(name)})`,
          );
        }
      });
    }
  });

  describe('dockerRef (ParseDockerRef)', () => {
    for (const vec of v.dockerRef) {
      test(`dockerRef ${vec.name}: ${vec.input}`, () => {
        assert.equal(dockerRef(vec.input), vec.expected, `dockerRef(${JSON.stringify(vec.input)})`);
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// Focused behaviour

const SHA256 = 'sha256:' + 'e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582';
const SHA512 = 'sha512:' + 'ab'.repeat(64);

function reasonOf(fn: () => unknown): InvalidReferenceReason {
  return catchInvalid(fn, 'call').reason;
}

describe('domains', () => {
  test('bracketed IPv6 literal with port, tag kept', () => {
    const ref = parseReference('[::1]:5000/foo:bar');
    assert.equal(ref.domain, '[::1]:5000');
    assert.equal(ref.path, 'foo');
    assert.equal(ref.name, '[::1]:5000/foo');
    assert.equal(ref.tag, 'bar');
    assert.equal(ref.familiar, '[::1]:5000/foo:bar');
  });

  test('IPv6 host alone is explained as a host missing its path', () => {
    const err = catchInvalid(() => parseReference('[::1]:5000'), '[::1]:5000');
    assert.equal(err.reason, 'invalid-format');
    assert.match(err.message, /registry host "\[::1\]" must be followed by "\/"/);
    assert.match(catchInvalid(() => parseRaw('[fc00::1]'), '[fc00::1]').message, /"\[fc00::1\]"/);
  });

  test('IPv6 zone ids and embedded IPv4 are rejected as invalid domains', () => {
    for (const input of ['[fe80::1%eth0]:5000/debian', '[2001:db8:3:4::192.0.2.33]:5000/debian']) {
      const err = catchInvalid(() => parseReference(input), input);
      assert.equal(err.reason, 'invalid-domain', input);
      assert.match(err.message, /IPv6 address may contain only hex digits/, input);
    }
  });

  test('localhost is a domain even without a dot or port', () => {
    const ref = parseReference('localhost/foo');
    assert.deepEqual([ref.domain, ref.path, ref.familiar], ['localhost', 'foo', 'localhost/foo']);
  });

  test('bare localhost is a Docker Hub name, as in Go', () => {
    assert.equal(parseReference('localhost').name, 'docker.io/library/localhost');
    assert.equal(parseReference('localhost:5000').tag, '5000');
  });

  test('index.docker.io is canonicalized to docker.io with library/', () => {
    const ref = parseReference('index.docker.io/nginx');
    assert.equal(ref.name, 'docker.io/library/nginx');
    assert.equal(ref.familiar, 'nginx');
    assert.equal(dockerRef('index.docker.io/nginx:1.25'), 'docker.io/library/nginx:1.25');
  });

  test('a first component with uppercase is a domain; a lowercase one without . or : is a namespace', () => {
    // Canonical spelling of such a host is upper-case: lower-cased, `foo/bar` would be a Docker Hub name.
    assert.equal(parseReference('Foo/bar').domain, 'FOO');
    assert.equal(parseRaw('Foo/bar').domain, 'Foo');
    assert.equal(parseReference('foo/bar').name, 'docker.io/foo/bar');
    assert.equal(parseReference('foo:5000/bar').domain, 'foo:5000');
  });

  test('a domain-looking first component that is not a host is invalid-domain, naming it', () => {
    const err = catchInvalid(() => parseReference('-docker.io/docker/docker'), '-docker.io');
    assert.equal(err.reason, 'invalid-domain');
    assert.match(err.message, /"-docker\.io"/);
    const underscore = catchInvalid(() => parseReference('foo_bar.com/x'), 'foo_bar.com');
    assert.equal(underscore.reason, 'invalid-domain');
    assert.match(underscore.message, /"_" is not allowed in a host name/);
    assert.equal(reasonOf(() => parseReference('example.com:/x')), 'invalid-domain');
    assert.equal(reasonOf(() => parseReference('example.com:80a/x')), 'invalid-domain');
  });

  test('raw parse keeps the domain as written', () => {
    assert.deepEqual(parseRaw('index.docker.io/nginx'), {
      name: 'index.docker.io/nginx',
      domain: 'index.docker.io',
      path: 'nginx',
      tag: null,
      digest: null,
    });
    assert.deepEqual(parseRaw('nginx'), { name: 'nginx', domain: '', path: 'nginx', tag: null, digest: null });
  });
});

describe('repository path', () => {
  test('uppercase repository has its own reason and names the path', () => {
    const err = catchInvalid(() => parseReference('docker/Foo:1'), 'docker/Foo');
    assert.equal(err.reason, 'uppercase-repository');
    assert.equal(err.message, 'repository name must be lowercase: "docker/Foo"');
    assert.equal(reasonOf(() => parseRaw('test:5000/Uppercase/lowercase:tag')), 'uppercase-repository');
    assert.equal(reasonOf(() => parseReference('Uppercase')), 'uppercase-repository');
  });

  test('separators: ".", "_", "__" and runs of "-" are allowed; others are not', () => {
    for (const ok of ['a.b', 'a_b', 'a__b', 'a---b', 'a-b.c_d__e']) assert.equal(parseRaw(ok).path, ok, ok);
    for (const bad of ['a___b', 'a..b', 'a._b', '.a', 'a.', 'a-', '_a', 'a//b', 'a/', '/a', 'a b']) {
      const err = catchInvalid(() => parseRaw(bad), bad);
      assert.equal(err.reason, 'invalid-format', bad);
    }
  });

  test('the bad path component is named in the message', () => {
    const err = catchInvalid(() => parseReference('aa/asdf$$^/aa'), 'aa/asdf$$^/aa');
    assert.match(err.message, /component "asdf\$\$\^" in "aa\/asdf\$\$\^\/aa"/);
    // Raw parsing takes "aa" as the registry host, so only the rest is named.
    assert.match(catchInvalid(() => parseRaw('aa/asdf$$^/aa'), 'raw').message, /component "asdf\$\$\^" in "asdf/);
    assert.match(catchInvalid(() => parseRaw('a//b'), 'a//b').message, /empty component/);
  });

  test('path length: 255 allowed, 256 rejected; the host does not count, library/ does', () => {
    const ok = 'example.com/' + 'a'.repeat(255);
    assert.equal(parseReference(ok).path.length, 255);
    const err = catchInvalid(() => parseReference(ok + 'a'), '256');
    assert.equal(err.reason, 'name-too-long');
    assert.match(err.message, /is 256 characters; at most 255 are allowed/);
    // 250 characters as written, but normalized to `library/` + 250 = 258 on Docker Hub.
    const familiar = 'a'.repeat(250);
    assert.equal(parseRaw(familiar).name, familiar);
    assert.equal(reasonOf(() => parseReference(familiar)), 'name-too-long');
    assert.equal(parseReference('a'.repeat(247)).path.length, 255);
  });

  test('a 64-hex-digit name is an image ID, not a repository', () => {
    const id = 'ab'.repeat(32);
    const err = catchInvalid(() => parseReference(id), id);
    assert.equal(err.reason, 'image-id');
    assert.equal(parseReference('docker.io/' + id).name, 'docker.io/library/' + id);
  });

  test('missing name before ":" or "@"', () => {
    assert.match(catchInvalid(() => parseRaw(':tag'), ':tag').message, /missing repository name before ":"/);
    assert.match(catchInvalid(() => parseRaw('@' + SHA256), '@').message, /missing repository name before "@"/);
  });
});

describe('tags', () => {
  test('128 characters allowed, 129 rejected with the count', () => {
    const tag128 = 'a'.repeat(128);
    assert.equal(parseReference(`nginx:${tag128}`).tag, tag128);
    const err = catchInvalid(() => parseReference(`nginx:${tag128}b`), 'tag 129');
    assert.equal(err.reason, 'tag-too-long');
    assert.equal(err.message, 'tag is 129 characters; at most 128 are allowed');
  });

  test('tag grammar', () => {
    for (const ok of ['_x', 'A', '1.2.3-rc.1', 'Upper_case', 'a-']) assert.equal(parseRaw(`r:${ok}`).tag, ok, ok);
    for (const bad of ['', '.x', '-x', 'a+b', 'a b', 'a$']) {
      assert.equal(reasonOf(() => parseRaw(`r:${bad}`)), 'invalid-tag', JSON.stringify(bad));
    }
    assert.match(catchInvalid(() => parseRaw('r:a+b'), 'a+b').message, /tag "a\+b" contains "\+"/);
  });
});

describe('digests', () => {
  test('sha256 and sha512 are accepted; both tag and digest are kept by parseReference', () => {
    const ref = parseReference(`nginx:1.25@${SHA256}`);
    assert.equal(ref.tag, '1.25');
    assert.equal(ref.digest, SHA256);
    assert.equal(ref.implicitLatest, false);
    assert.equal(ref.familiar, `nginx:1.25@${SHA256}`);
    assert.equal(dockerRef(`nginx:1.25@${SHA256}`), `docker.io/library/nginx@${SHA256}`);
    assert.equal(parseReference(`ghcr.io/a/b@${SHA512}`).digest, SHA512);
  });

  test('length errors name the algorithm, the expected and the actual length', () => {
    const err = catchInvalid(() => parseReference(`nginx@${SHA256.slice(0, -1)}`), 'sha256/63');
    assert.equal(err.reason, 'digest-length');
    assert.equal(err.message, 'sha256 digest must have 64 hex characters, got 63');
    const err512 = catchInvalid(() => parseReference(`nginx@sha512:${'a'.repeat(64)}`), 'sha512/64');
    assert.equal(err512.reason, 'digest-length');
    assert.equal(err512.message, 'sha512 digest must have 128 hex characters, got 64');
  });

  test('unknown algorithms are unsupported; malformed digests are invalid', () => {
    assert.equal(reasonOf(() => parseRaw(`r@sha384:${'a'.repeat(96)}`)), 'unsupported-digest-algorithm');
    assert.equal(reasonOf(() => parseRaw(`r@md5:${'a'.repeat(32)}`)), 'unsupported-digest-algorithm');
    assert.equal(reasonOf(() => parseRaw(`r@${SHA256.toUpperCase().replace('SHA', 'sha')}`)), 'invalid-digest');
    assert.equal(reasonOf(() => parseRaw('r@sha256')), 'invalid-digest');
    assert.equal(reasonOf(() => parseRaw('r@')), 'invalid-digest');
    assert.equal(reasonOf(() => parseRaw('r@1sha:' + 'a'.repeat(64))), 'invalid-digest');
    assert.equal(reasonOf(() => parseRaw(`r@${SHA256}g`)), 'invalid-digest');
    assert.equal(reasonOf(() => parseRaw(`r@${SHA256}@${SHA256}`)), 'invalid-digest');
  });

  test('isDigest', () => {
    assert.equal(isDigest(SHA256), true);
    assert.equal(isDigest(SHA512), true);
    assert.equal(isDigest(SHA256.slice(0, -1)), false);
    assert.equal(isDigest(SHA256.toUpperCase()), false);
    assert.equal(isDigest('sha384:' + 'a'.repeat(96)), false);
    assert.equal(isDigest(''), false);
    assert.equal(isDigest(SHA256.slice(7)), false);
  });
});

describe('normalization and familiar form', () => {
  test('implicit latest: tag stays null, dockerRef adds :latest', () => {
    const ref = parseReference('nginx');
    assert.equal(ref.tag, null);
    assert.equal(ref.implicitLatest, true);
    assert.equal(ref.familiar, 'nginx');
    assert.equal(dockerRef('nginx'), 'docker.io/library/nginx:latest');
  });

  test('familiarName', () => {
    assert.equal(familiarName('docker.io/library/nginx'), 'nginx');
    assert.equal(familiarName('docker.io/foo/bar'), 'foo/bar');
    assert.equal(familiarName('docker.io/library/foo/bar'), 'library/foo/bar');
    assert.equal(familiarName('ghcr.io/library/nginx'), 'ghcr.io/library/nginx');
    assert.equal(familiarName('docker.io/library/nginx:1.25'), 'nginx:1.25');
  });

  test('familiar round trips', () => {
    for (const input of [
      'docker.io/library/nginx:1.25',
      'nginx:1.25',
      'docker.io/foo/bar',
      `foo/bar@${SHA256}`,
      'localhost:5000/a/b:c',
      '[::1]:5000/foo:bar',
    ]) {
      const ref = parseReference(input);
      const again = parseReference(ref.familiar);
      assert.deepEqual(again, ref, `familiar ${ref.familiar} of ${input}`);
    }
    assert.equal(parseReference('docker.io/library/nginx:1.25').familiar, 'nginx:1.25');
    assert.equal(parseReference('docker.io/foo/bar').familiar, 'foo/bar');
  });

  test('formatReference', () => {
    assert.equal(formatReference({ name: 'docker.io/library/nginx', tag: null, digest: null }), 'docker.io/library/nginx');
    assert.equal(formatReference({ name: 'a/b', tag: 't', digest: SHA256 }), `a/b:t@${SHA256}`);
    assert.equal(formatReference({ name: 'a/b', tag: null, digest: SHA256 }), `a/b@${SHA256}`);
  });
});

describe('errors and input limits', () => {
  test('InvalidReferenceError is an ImageTrustError with code INVALID_REFERENCE and the input', () => {
    const err = catchInvalid(() => parseReference(''), 'empty');
    assert.ok(err instanceof ImageTrustError);
    assert.equal(err.code, 'INVALID_REFERENCE');
    assert.equal(err.reason, 'empty');
    assert.equal(err.input, '');
  });

  test('URL schemes are called out', () => {
    const err = catchInvalid(() => parseReference('https://github.com/docker/docker'), 'url');
    assert.equal(err.reason, 'invalid-format');
    assert.match(err.message, /URL scheme/);
  });

  test('input over 4096 characters is refused with its length; messages stay short', () => {
    const err = catchInvalid(() => parseReference('a'.repeat(4097)), '4097');
    assert.equal(err.reason, 'input-too-long');
    assert.match(err.message, /4097 characters; at most 4096/);
    const long = catchInvalid(() => parseRaw('a/' + 'a-'.repeat(2000)), 'long path');
    assert.ok(long.message.length < 300, `message is ${long.message.length} characters`);
  });

  test('pathological inputs near the cap are handled quickly (linear scan)', () => {
    const inputs = [
      'a' + '-'.repeat(4094) + '!',
      'a/'.repeat(2047) + 'A',
      'a.'.repeat(2047) + '/b',
      'r:' + 'a'.repeat(4090) + '$',
      'r@' + 'a+'.repeat(2040) + ':0',
      '[' + ':'.repeat(4090) + 'g]/x',
    ];
    const started = performance.now();
    for (let round = 0; round < 50; round++) {
      for (const input of inputs) catchInvalid(() => parseReference(input), input.slice(0, 20));
    }
    // 300 parses of ~4 KB; a quadratic scan would take far longer than this generous bound.
    assert.ok(performance.now() - started < 2000, 'parsing pathological inputs took too long');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Differential check against distribution/reference's regular expressions (translated to JS, test-only).

const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^((?:${domainAndPort}/)?${remoteName})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const NAME = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);

/** What Go's Parse yields for `s` (with sha512 supported), or null when it fails. */
function goParse(s: string): { name: string; domain: string; tag: string | null; digest: string | null } | null {
  const m = REFERENCE.exec(s);
  if (!m) return null;
  const n = NAME.exec(m[1]!)!;
  if (n[2]!.length > 255) return null;
  const digest = m[3] ?? null;
  if (digest !== null && !isDigest(digest)) return null;
  return { name: m[1]!, domain: n[1] ?? '', tag: m[2] ?? null, digest };
}

test('parseRaw agrees with the upstream regular expressions on generated input', () => {
  const pieces = ['a', 'b', '0', 'A', '.', '_', '-', '/', ':', '@', '[', ']', '5000', 'sha256:', 'ff'.repeat(32), 'x.io'];
  const arb = fc.array(fc.constantFrom(...pieces), { maxLength: 12 }).map((xs) => xs.join(''));
  fc.assert(
    fc.property(arb, (s) => {
      const expected = goParse(s);
      let actual: ReturnType<typeof goParse> = null;
      try {
        const r = parseRaw(s);
        actual = { name: r.name, domain: r.domain, tag: r.tag, digest: r.digest };
      } catch (e) {
        if (!(e instanceof InvalidReferenceError)) throw e;
      }
      assert.deepEqual(actual, expected, `parseRaw(${JSON.stringify(s)})`);
    }),
    { numRuns: 3000, seed: 20240601 },
  );
});

/** Go's ParseNormalizedNamed (splitDockerDomain + the lowercase check + Parse), translated for the test. */
function goParseNormalized(s: string): ReturnType<typeof goParse> {
  if (/^[a-f0-9]{64}$/.test(s)) return null;
  const slash = s.indexOf('/');
  const first = slash === -1 ? '' : s.slice(0, slash);
  const isDomain =
    slash !== -1 && (first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first);
  let domain = isDomain ? first : 'docker.io';
  let remainder = isDomain ? s.slice(slash + 1) : s;
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !remainder.includes('/')) remainder = 'library/' + remainder;
  const remoteName = remainder.split(':')[0]!;
  if (remoteName.toLowerCase() !== remoteName) return null;
  return goParse(`${domain}/${remainder}`);
}

/** goParseNormalized, then the canonical host. */
function goParseCanonical(s: string): ReturnType<typeof goParse> {
  const parsed = goParseNormalized(s);
  if (parsed === null) return null;
  // Then our canonical spelling of the host (written out independently of the implementation): case folded (to
  // upper case only where lower case would read as a Docker Hub namespace), port 443 and leading zeros of the port
  // dropped, Docker Hub's aliases are docker.io (whose one-component paths get library/).
  // A host that would no longer read as one (`foo`, `5000`) is upper-cased, or keeps its `:443` when it has no letter.
  const m = /^(.*?)(?::(\d+))?$/.exec(parsed.domain)!;
  const port = m[2] === undefined ? '' : m[2].replace(/^0+(?=\d)/, '');
  let host = m[1]!.toLowerCase() + (port === '' || port === '443' ? '' : `:${port}`);
  if (host === 'index.docker.io' || host === 'registry-1.docker.io') host = 'docker.io';
  if (!/[.:]/.test(host) && host !== 'localhost') host = /[a-z]/.test(host) ? host.toUpperCase() : `${host}:443`;
  let path = parsed.name.slice(parsed.domain.length + 1);
  if (host === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (path.length > 255) return null;
  return { ...parsed, name: `${host}/${path}`, domain: host };
}

test('parseNormalizedNamed agrees with upstream normalization, parseReference with it and the canonical host', () => {
  const pieces = ['a', '0', 'A', '.', '_', '-', '/', ':', '@', '[', ']', '5000', 'sha256:', 'ff'.repeat(32)];
  const words = ['x.io', 'X.Io', 'localhost', 'LocalHost', 'index.docker.io', 'docker.io', 'Docker.IO', 'registry-1.docker.io', ':443', ':0443', 'library'];
  const arb = fc.array(fc.constantFrom(...pieces, ...words), { maxLength: 10 }).map((xs) => xs.join(''));
  fc.assert(
    fc.property(arb, (s) => {
      for (const [label, parse, oracle] of [['parseNormalizedNamed', parseNormalizedNamed, goParseNormalized], ['parseReference', parseReference, goParseCanonical]] as const) {
        const expected = oracle(s);
        let actual: ReturnType<typeof goParse> = null;
        try {
          const r = parse(s);
          actual = { name: r.name, domain: r.domain, tag: r.tag, digest: r.digest };
        } catch (e) {
          if (!(e instanceof InvalidReferenceError)) throw e;
          // Deliberate difference: upstream lets a host-looking first component that is not a valid host (e.g.
          // `foo_bar.com/x`) fall back to a name with no domain at all; we refuse it as an invalid domain.
          if (goParseNormalized(s)?.domain === '') {
            assert.equal(e.reason, 'invalid-domain', `${label}(${JSON.stringify(s)})`);
            continue;
          }
        }
        assert.deepEqual(actual, expected, `${label}(${JSON.stringify(s)})`);
      }
    }),
    { numRuns: 3000, seed: 20240602 },
  );
});

// ---------------------------------------------------------------------------------------------------------
// Issue 10, defect 4: one canonical spelling of every name, so that policy rules, exceptions and cache keys see
// the same name whatever the registry host's spelling.

describe('canonical names', () => {
  test('hosts compare case-insensitively: the parsed name and domain are lower-case', () => {
    const ref = parseReference('GHCR.IO/acme/api:V1.0');
    assert.deepEqual([ref.name, ref.domain, ref.path, ref.tag], ['ghcr.io/acme/api', 'ghcr.io', 'acme/api', 'V1.0']);
    assert.equal(ref.familiar, 'ghcr.io/acme/api:V1.0');
    assert.equal(parseReference('Registry.Example.COM/prod/api').name, 'registry.example.com/prod/api');
  });

  test(':443 is the default port and is dropped; other ports stay', () => {
    assert.equal(parseReference('ghcr.io:443/acme/api').name, 'ghcr.io/acme/api');
    assert.equal(parseReference('GHCR.IO:443/acme/api@' + SHA256).familiar, 'ghcr.io/acme/api@' + SHA256);
    assert.equal(parseReference('ghcr.io:0443/acme/api').name, 'ghcr.io/acme/api');
    assert.equal(parseReference('ghcr.io:05000/acme/api').name, 'ghcr.io:5000/acme/api');
    for (const name of ['localhost:5000/app', '127.0.0.1:5000/app', '[::1]:5000/app', 'ghcr.io:80/acme/api', 'example.com:8443/x']) {
      const ref = parseReference(name);
      assert.equal(ref.name, name, name);
      assert.equal(ref.familiar, name, name);
    }
    assert.equal(parseReference('LOCALHOST:5000/app').name, 'localhost:5000/app');
    assert.equal(parseReference('[FC00::1]:5000/app').name, '[fc00::1]:5000/app');
    assert.equal(parseReference('[::1]:443/app').name, '[::1]/app');
  });

  test('index.docker.io and registry-1.docker.io are docker.io, in any case and with :443', () => {
    for (const input of ['registry-1.docker.io/library/nginx', 'registry-1.docker.io/nginx', 'index.docker.io/nginx', 'Docker.IO/library/nginx', 'docker.io:443/nginx', 'REGISTRY-1.DOCKER.IO:443/nginx', 'Index.Docker.Io/library/nginx']) {
      const ref = parseReference(`${input}:1.25`);
      assert.deepEqual([ref.name, ref.domain, ref.path, ref.familiar], ['docker.io/library/nginx', 'docker.io', 'library/nginx', 'nginx:1.25'], input);
      assert.equal(dockerRef(input), 'docker.io/library/nginx:latest', input);
    }
    assert.equal(parseReference('registry-1.docker.io/bitnami/redis').familiar, 'bitnami/redis');
    // Only the hub's own hosts: another port or another host is another registry.
    assert.equal(parseReference('docker.io:5000/nginx').name, 'docker.io:5000/nginx');
    assert.equal(parseReference('mirror.docker.io/nginx').name, 'mirror.docker.io/nginx');
  });

  test('a host recognized only by its upper-case letters stays a host (canonical: upper-case)', () => {
    for (const input of ['LocalDomain/x', 'LOCALDOMAIN/x', 'localDomain/x']) {
      const ref = parseReference(input);
      assert.deepEqual([ref.name, ref.domain, ref.familiar], ['LOCALDOMAIN/x', 'LOCALDOMAIN', 'LOCALDOMAIN/x'], input);
      assert.equal(parseReference(ref.name).name, ref.name);
    }
    assert.equal(parseReference('localdomain/x').name, 'docker.io/localdomain/x');
  });

  test('the raw parse still keeps the host as written', () => {
    assert.equal(parseRaw('GHCR.IO:443/acme/api').domain, 'GHCR.IO:443');
    assert.equal(parseRaw('registry-1.docker.io/nginx').name, 'registry-1.docker.io/nginx');
  });

  test('canonicalHost', () => {
    const cases: [string, string][] = [
      ['ghcr.io', 'ghcr.io'],
      ['GHCR.IO', 'ghcr.io'],
      ['ghcr.io:443', 'ghcr.io'],
      ['ghcr.io:0443', 'ghcr.io'],
      ['ghcr.io:5000', 'ghcr.io:5000'],
      ['ghcr.io:005000', 'ghcr.io:5000'],
      ['docker.io', 'docker.io'],
      ['index.docker.io', 'docker.io'],
      ['Registry-1.Docker.IO:443', 'docker.io'],
      ['index.docker.io:5000', 'index.docker.io:5000'],
      ['auth.docker.io', 'auth.docker.io'],
      ['localhost', 'localhost'],
      ['LocalHost:5000', 'localhost:5000'],
      ['127.0.0.1:5000', '127.0.0.1:5000'],
      ['[::1]:5000', '[::1]:5000'],
      ['[FC00::1]', '[fc00::1]'],
      ['[::1]:443', '[::1]'],
      ['MyReg', 'MYREG'],
      ['MyReg:5000', 'myreg:5000'],
      ['MyReg:443', 'MYREG'],
      ['myreg:443', 'MYREG'],
      ['5000:443', '5000:443'],
      ['5000:0443', '5000:443'],
      ['[AB]', '[AB]'],
      ['[ab]:443', '[AB]'],
      ['*.Example.COM', '*.example.com'],
    ];
    for (const [input, expected] of cases) assert.equal(canonicalHost(input), expected, input);
  });

  test('parseRepositoryName / normalizeName: names without tag or digest, validated and canonical', () => {
    assert.deepEqual(parseRepositoryName('GHCR.IO:443/acme/api'), { name: 'ghcr.io/acme/api', domain: 'ghcr.io', path: 'acme/api' });
    assert.deepEqual(parseRepositoryName('nginx'), { name: 'docker.io/library/nginx', domain: 'docker.io', path: 'library/nginx' });
    assert.equal(normalizeName('registry-1.docker.io/nginx'), 'docker.io/library/nginx');
    assert.equal(normalizeName('[::1]:5000/app'), '[::1]:5000/app');
    for (const bad of ['nginx:1.25', `nginx@${SHA256}`, 'ghcr.io/Acme/api', 'ghcr.io/', '', 'ab'.repeat(32), 'foo_bar.com/x']) {
      catchInvalid(() => parseRepositoryName(bad), bad);
    }
  });

  test('splitRepositoryName: the same split for patterns, without validating', () => {
    assert.deepEqual(splitRepositoryName('nginx'), { domain: 'docker.io', path: 'library/nginx' });
    assert.deepEqual(splitRepositoryName('GHCR.IO:443/acme/*'), { domain: 'ghcr.io', path: 'acme/*' });
    assert.deepEqual(splitRepositoryName('*/nginx'), { domain: 'docker.io', path: '*/nginx' });
    assert.deepEqual(splitRepositoryName('*.Example.com/**'), { domain: '*.example.com', path: '**' });
    assert.deepEqual(splitRepositoryName('registry-1.docker.io/*'), { domain: 'docker.io', path: 'library/*' });
  });

  test('one digest grammar: the registry code uses the same isDigest; isTag', () => {
    assert.equal(registryIsDigest, isDigest);
    for (const ok of ['latest', '1.25', '_x', 'A'.repeat(128)]) assert.equal(isTag(ok), true, ok);
    for (const bad of ['', '.x', '-x', 'a:b', 'a/b', 'a'.repeat(129)]) assert.equal(isTag(bad), false, bad);
  });

  test('property: every spelling of a host gives the same parsed reference', () => {
    const hosts = ['ghcr.io', 'registry.example.com', 'localhost', 'localhost:5000', '127.0.0.1:5000', '[::1]:5000', '[fc00::1]', 'docker.io', 'example.com:8443'];
    const spelling = fc.record({ flips: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), add443: fc.boolean(), zeros: fc.nat({ max: 2 }), alias: fc.nat({ max: 2 }) });
    fc.assert(
      fc.property(fc.constantFrom(...hosts), spelling, fc.constantFrom('nginx', 'acme/api', 'library/nginx'), fc.option(fc.constantFrom('1.25', 'Latest'), { nil: null }), (host, s, path, tag) => {
        let h = host === 'docker.io' ? ['docker.io', 'index.docker.io', 'registry-1.docker.io'][s.alias]! : host;
        h = [...h].map((c, i) => (s.flips[i % s.flips.length] ? c.toUpperCase() : c)).join('');
        const port = /:(\d+)$/.exec(h);
        if (port) h = h.slice(0, port.index) + ':' + '0'.repeat(s.zeros) + port[1];
        else if (s.add443) h += ':' + '0'.repeat(s.zeros) + '443';
        const written = formatReference({ name: `${h}/${path}`, tag, digest: null });
        const canonical = formatReference({ name: `${host}/${path}`, tag, digest: null });
        assert.deepEqual(parseReference(written), parseReference(canonical), written);
        assert.equal(normalizeName(`${h}/${path}`), parseReference(canonical).name, written);
      }),
      { numRuns: 500, seed: 1010 },
    );
  });
});
