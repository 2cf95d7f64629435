// Property tests of the reference parser against hostile input: generated valid references survive a round trip
// (parse → format → parse), and no string at all — control characters, lone surrogates, huge input — makes the
// parser throw anything but InvalidReferenceError. (The upstream-regex agreement properties live in
// reference.test.ts; these cover the generated-structure and arbitrary-garbage sides.)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  InvalidReferenceError,
  MAX_REFERENCE_INPUT_LENGTH,
  dockerRef,
  familiarName,
  formatReference,
  normalizeName,
  parseRaw,
  parseReference,
  splitRepositoryName,
} from '../../server/src/core/reference';
import { normalizeRepositoryName } from '../../server/src/core/policy/globs';
import { locateRepository } from '../../server/src/core/registry/hosts';

const lowerAlnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split(''));
const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split(''));
const hex = fc.constantFrom(...'0123456789abcdef'.split(''));
const word = (chars: fc.Arbitrary<string>, min: number, max: number) =>
  fc.array(chars, { minLength: min, maxLength: max }).map((xs) => xs.join(''));

/** `[a-z0-9]+ (sep [a-z0-9]+)*` with every separator the grammar allows. */
const pathComponent = fc
  .tuple(word(lowerAlnum, 1, 6), fc.array(fc.tuple(fc.constantFrom('.', '_', '__', '-', '--', '---'), word(lowerAlnum, 1, 6)), { maxLength: 3 }))
  .map(([first, rest]) => first + rest.map(([sep, w]) => sep + w).join(''));

const hostLabel = fc
  .tuple(alnum, word(fc.oneof(alnum, fc.constant('-')), 0, 8), alnum)
  .map(([a, mid, z]) => (mid === '' ? a : a + mid + z));

/** Hosts that are unambiguously registries: contain '.' or a port, or are `localhost`, or an IPv6 literal. */
const domain = fc.oneof(
  fc.tuple(fc.array(hostLabel, { minLength: 2, maxLength: 3 }), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined })).map(
    ([labels, port]) => labels.join('.') + (port === undefined ? '' : `:${port}`),
  ),
  fc.tuple(hostLabel, fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.constantFrom(443, '0443'))).map(([h, port]) => `${h}:${port}`),
  fc.constant('localhost'),
  fc.constantFrom('[::1]', '[fe80::1]:5000', '[2001:db8::abcd]'),
);

const tag = fc
  .tuple(fc.oneof(alnum, fc.constant('_')), word(fc.oneof(alnum, fc.constantFrom('_', '.', '-')), 0, 20))
  .map(([a, rest]) => a + rest);

const digest = fc.oneof(word(hex, 64, 64).map((h) => `sha256:${h}`), word(hex, 128, 128).map((h) => `sha512:${h}`));

interface Generated {
  domain: string | null;
  path: string;
  tag: string | null;
  digest: string | null;
}

const validReference = fc
  .record({
    domain: fc.option(domain, { nil: null }),
    path: fc.array(pathComponent, { minLength: 1, maxLength: 4 }).map((c) => c.join('/')),
    tag: fc.option(tag, { nil: null }),
    digest: fc.option(digest, { nil: null }),
  })
  .filter((g: Generated) => g.path.length <= 255 && (g.domain !== null || !looksLikeDomain(g.path)));

/** Docker reads a first path component with '.' (or `localhost`) as a registry host: not a path then. */
function looksLikeDomain(path: string): boolean {
  const slash = path.indexOf('/');
  const first = slash === -1 ? '' : path.slice(0, slash);
  return first.includes('.') || first === 'localhost';
}

function written(g: Generated): string {
  return formatReference({ name: g.domain === null ? g.path : `${g.domain}/${g.path}`, tag: g.tag, digest: g.digest });
}

describe('reference parser: generated valid references', () => {
  test('parseRaw keeps every part as written, and formatting gives back the input', () => {
    fc.assert(
      fc.property(validReference, (g) => {
        const input = written(g);
        const raw = parseRaw(input);
        // Without normalization a first component that is a valid host (`a/b`) is the domain, as in Go's Parse.
        assert.equal(raw.name, g.domain === null ? g.path : `${g.domain}/${g.path}`);
        if (g.domain !== null) assert.equal(raw.domain, g.domain);
        assert.equal(raw.domain === '' ? raw.path : `${raw.domain}/${raw.path}`, raw.name);
        assert.equal(raw.tag, g.tag);
        assert.equal(raw.digest, g.digest);
        assert.equal(formatReference(raw), input);
      }),
      { numRuns: 2000, seed: 7001 },
    );
  });

  test('parseReference round-trips: parse → format → parse is equal, and normalizing is idempotent', () => {
    fc.assert(
      fc.property(validReference, (g) => {
        const first = parseReference(written(g));
        const again = parseReference(formatReference(first));
        assert.deepEqual(again, first);
        // The familiar form is itself a valid reference meaning the same image.
        const viaFamiliar = parseReference(first.familiar);
        assert.equal(viaFamiliar.name, first.name);
        assert.equal(viaFamiliar.tag, first.tag);
        assert.equal(viaFamiliar.digest, first.digest);
        assert.equal(familiarName(first.name), parseReference(familiarName(first.name)).familiar);
        // dockerRef is a fixed point.
        const d = dockerRef(written(g));
        assert.equal(dockerRef(d), d);
      }),
      { numRuns: 2000, seed: 7002 },
    );
  });
});

describe('reference parser: one canonical name', () => {
  test('the canonical name is a fixed point of every normalizer, and the registry is found from it', () => {
    fc.assert(
      fc.property(validReference, (g) => {
        const ref = parseReference(written(g));
        // Parsing the canonical name, strictly (names) or leniently (patterns, matchRule), changes nothing.
        assert.equal(normalizeName(ref.name), ref.name);
        assert.equal(normalizeRepositoryName(ref.name), ref.name);
        assert.deepEqual(splitRepositoryName(ref.name), { domain: ref.domain, path: ref.path });
        // The written name normalizes to it through every path.
        const name = g.domain === null ? g.path : `${g.domain}/${g.path}`;
        assert.equal(normalizeName(name), ref.name);
        assert.equal(normalizeRepositoryName(name), ref.name);
        // The registry is contacted at the same place for the written and the canonical name.
        assert.deepEqual(locateRepository(name), locateRepository(ref.name));
        assert.equal(locateRepository(ref.name).repository, ref.path);
        // Canonical hosts: case folded, no default port.
        // (`12:443` keeps its port: `12` alone would be a Docker Hub namespace.)
        assert.ok(!/:0*443$/.test(ref.domain) || /^[0-9-]+:443$/.test(ref.domain), ref.domain);
        assert.doesNotMatch(ref.domain, /:0\d/);
        assert.ok(ref.domain === ref.domain.toLowerCase() || ref.domain === ref.domain.toUpperCase(), ref.domain);
      }),
      { numRuns: 2000, seed: 7004 },
    );
  });
});

/** Anything a document can hold, weighted towards the characters the grammar cares about. */
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: fc.constantFrom('a', 'A', '0', '.', '_', '-', '/', ':', '@', '[', ']', '\0', '\t', '\r', '\n', ' ', '\uD800', '\uDFFF', '\uFEFF', 'é', '://'), maxLength: 80 }),
  // Near-valid: a valid reference with one character replaced by something hostile.
  fc.tuple(validReference, fc.nat(), fc.constantFrom('\0', '\uD800', '\u0085', ' ', 'A', '@', ':', '/', '//', '..', '$', '{{')).map(([g, at, bad]) => {
    const s = written(g);
    const i = at % (s.length + 1);
    return s.slice(0, i) + bad + s.slice(i + 1);
  }),
);

function onlyInvalidReferenceErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof InvalidReferenceError)) throw e;
    assert.ok(e.message.length > 0 && e.message.length < 400, `bounded, non-empty message: ${e.message.length} chars`);
  }
}

describe('reference parser: hostile strings', () => {
  test('parseRaw, parseReference and dockerRef throw nothing but InvalidReferenceError', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        onlyInvalidReferenceErrors(() => normalizeName(s));
        normalizeRepositoryName(s); // total: never throws
        onlyInvalidReferenceErrors(() => parseRaw(s));
        onlyInvalidReferenceErrors(() => parseReference(s));
        onlyInvalidReferenceErrors(() => dockerRef(s));
        familiarName(s); // total: never throws
      }),
      { numRuns: 5000, seed: 7003 },
    );
  });

  test('huge input is refused up front, quickly, with a short message', () => {
    const huge = 'a'.repeat(50 * 1024 * 1024);
    const start = performance.now();
    assert.throws(() => parseReference(huge), (e: unknown) => e instanceof InvalidReferenceError && e.reason === 'input-too-long' && e.message.length < 200);
    // Just over the limit is refused too; at the limit a path is still judged (too long as a name).
    assert.throws(() => parseReference('a'.repeat(MAX_REFERENCE_INPUT_LENGTH + 1)), (e: unknown) => e instanceof InvalidReferenceError && e.reason === 'input-too-long');
    assert.throws(() => parseReference('a'.repeat(MAX_REFERENCE_INPUT_LENGTH)), (e: unknown) => e instanceof InvalidReferenceError && e.reason === 'name-too-long');
    assert.ok(performance.now() - start < 1000, 'bounded time on 50 MB of input');
  });
});
