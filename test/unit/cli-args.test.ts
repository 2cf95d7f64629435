// Command-line parsing of `image-trust` (server/src/cli/args.ts): options, defaults, and usage errors (exit 2).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCli, USAGE } from '../../server/src/cli/args';
import { run } from '../../server/src/cli/main';
import { ImageTrustError } from '../../server/src/core/errors';
import { RULE_IDS } from '../../server/src/core/rules';

function usageError(argv: string[]): string {
  try {
    parseCli(argv);
  } catch (err) {
    assert.ok(err instanceof ImageTrustError, String(err));
    assert.equal(err.code, 'USAGE');
    return err.message;
  }
  assert.fail(`expected a usage error for ${argv.join(' ')}`);
}

async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('parseCli basics', () => {
  test('defaults', () => {
    const o = parseCli(['scan']);
    assert.equal(o.command, 'scan');
    assert.deepEqual(o.paths, ['.']);
    assert.equal(o.format, 'text');
    assert.equal(o.failOn, 'warning');
    assert.deepEqual(o.severity, {});
    assert.deepEqual(o.insecureRegistries, []);
  });

  test('no command or --help is help; --version is version', () => {
    assert.equal(parseCli([]).command, 'help');
    assert.equal(parseCli(['scan', '-h']).command, 'help');
    assert.equal(parseCli(['--version']).command, 'version');
  });

  test('usage errors name the option and the choices', () => {
    assert.equal(usageError(['scan', '--format', 'xml']), '--format must be one of text, json, sarif, markdown, codequality (got "xml")');
    assert.match(usageError(['frobnicate']), /unknown command "frobnicate"/);
    assert.match(usageError(['scan', '--nope']), /--nope/);
  });
});

describe('--severity rule=level', () => {
  test('is repeatable; a later flag for the same rule wins', () => {
    const o = parseCli(['scan', 'deploy', '--severity', 'templated=off', '--severity', 'unpinned-tag=error', '--severity=templated=hint']);
    assert.deepEqual(o.severity, { templated: 'hint', 'unpinned-tag': 'error' });
    assert.deepEqual(o.paths, ['deploy']);
  });

  test('accepts every rule of the table and every level', () => {
    for (const id of RULE_IDS) {
      for (const level of ['error', 'warning', 'information', 'hint', 'off']) {
        assert.deepEqual(parseCli(['scan', '--severity', `${id}=${level}`]).severity, { [id]: level });
      }
    }
  });

  test('tolerates spaces around = (a quoted shell argument)', () => {
    assert.deepEqual(parseCli(['scan', '--severity', 'templated = off']).severity, { templated: 'off' });
  });

  test('an unknown rule is a usage error naming it and the close rules', () => {
    assert.equal(usageError(['scan', '--severity', 'unpinned-tags=error']), '--severity: unknown rule "unpinned-tags"; did you mean unpinned-tag?');
  });

  test('an unknown rule with nothing close lists every rule', () => {
    assert.equal(usageError(['scan', '--severity', 'frobnicate=error']), `--severity: unknown rule "frobnicate"; rules are: ${RULE_IDS.join(', ')}`);
  });

  test('an unknown level is a usage error listing the levels', () => {
    assert.equal(
      usageError(['scan', '--severity', 'templated=info']),
      '--severity: unknown severity "info" for rule templated; use one of error, warning, information, hint, off (did you mean information?)',
    );
    assert.match(usageError(['scan', '--severity', 'templated=']), /unknown severity "" for rule templated; use one of error, warning, information, hint, off$/);
  });

  test('every wrong flag is reported at once', () => {
    const msg = usageError(['scan', '--severity', 'nope=error', '--severity', 'templated=loud']);
    assert.match(msg, /unknown rule "nope".*; unknown severity "loud" for rule templated/);
  });

  test('without = it says what the flag looks like', () => {
    assert.equal(usageError(['scan', '--severity', 'templated']), '--severity needs RULE=LEVEL, e.g. --severity templated=off (got "templated")');
    assert.match(usageError(['scan', '--severity', '=off']), /--severity needs RULE=LEVEL/);
    assert.match(usageError(['scan', '--severity']), /--severity/);
  });

  test('USAGE documents it', () => {
    assert.match(USAGE, /--severity RULE=LEVEL +severity of a rule: error, warning, information, hint or off \(repeatable/);
  });

  test('a wrong --severity exits 2 with the message and the usage text', async () => {
    const r = await runCli(['scan', '--severity', 'unpinned-tags=error', '.']);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.ok(r.err.startsWith('image-trust: --severity: unknown rule "unpinned-tags"; did you mean unpinned-tag?\nUsage: image-trust'), r.err);
  });
});
