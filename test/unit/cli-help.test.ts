// `image-trust <command> --help` (cli/help.ts), the TTY-only progress line (cli/progress.ts) and the Code Quality
// severity mapping (cli/format/codequality.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCli, USAGE } from '../../server/src/cli/args';
import { codeQualitySeverity } from '../../server/src/cli/format/codequality';
import { commandHelp, helpText, listedCommands } from '../../server/src/cli/help';
import { progressOn } from '../../server/src/cli/progress';

test('every command USAGE lists has its own help, with its options and none of the others\'', () => {
  const commands = listedCommands();
  for (const c of ['scan', 'pin', 'tree', 'init']) assert.ok(commands.includes(c), `${c} is listed: ${commands.join(', ')}`);
  for (const c of commands) {
    const help = commandHelp(c);
    assert.ok(help, `${c} has help`);
    assert.match(help, new RegExp(`^Usage: image-trust ${c} \\[options\\] \\[paths…\\]`));
    assert.match(help, /-h, --help +show this help/);
  }
  assert.match(commandHelp('scan')!, /--changed-since REF/);
  assert.doesNotMatch(commandHelp('scan')!, /--dry-run/);
  assert.match(commandHelp('pin')!, /--dry-run/);
  assert.doesNotMatch(commandHelp('pin')!, /--changed-since/);
  assert.match(commandHelp('init')!, /--verify +also verify signatures/);
});

test('`scan --help`, `scan -h` and `help scan` ask for scan\'s help; no command, or an unknown topic: the full usage', () => {
  for (const argv of [['scan', '--help'], ['scan', '-h'], ['help', 'scan']]) {
    const o = parseCli(argv);
    assert.equal(o.command, 'help');
    assert.equal(o.helpTopic, 'scan');
  }
  assert.equal(parseCli(['--help']).helpTopic, undefined);
  assert.ok(helpText().startsWith(USAGE));
  assert.match(helpText(), /image-trust <command> --help/);
  assert.ok(helpText('nonsense').startsWith(USAGE));
  assert.ok(helpText('scan').startsWith('Usage: image-trust scan'));
});

test('progress is written only to a terminal, throttled, and erased at the end', () => {
  const written: string[] = [];
  const piped = progressOn({ isTTY: false, write: (s: string) => written.push(s) });
  piped.update('resolving', 1, 3);
  piped.end();
  assert.equal(written.length, 0, 'nothing when stderr is not a TTY');

  let now = 0;
  const tty = progressOn({ isTTY: true, write: (s: string) => written.push(s) }, { intervalMs: 100, now: () => now });
  tty.update('resolving', 1, 3);
  now = 50;
  tty.update('resolving', 2, 3); // within the interval: skipped
  now = 60;
  tty.update('resolving', 3, 3); // the last step always shows
  tty.end();
  assert.deepEqual(written, ['\r\x1b[2Kimage-trust: resolving 1/3', '\r\x1b[2Kimage-trust: resolving 3/3', '\r\x1b[2K']);
});

test('Code Quality severities: info, minor, major; critical for an enforce rule; blocker for an invalid signature', () => {
  const f = (severity: 'error' | 'warning' | 'information' | 'hint', code = 'unpinned-tag', mode?: 'enforce' | 'audit') => ({ code, severity, message: '', range: { start: 0, end: 0 }, mode });
  assert.equal(codeQualitySeverity(f('hint')), 'info');
  assert.equal(codeQualitySeverity(f('information', 'templated')), 'info');
  assert.equal(codeQualitySeverity(f('warning')), 'minor');
  assert.equal(codeQualitySeverity(f('error', 'invalid-reference')), 'major');
  assert.equal(codeQualitySeverity(f('error', 'unsigned', 'enforce')), 'critical');
  assert.equal(codeQualitySeverity(f('warning', 'unsigned', 'audit')), 'minor');
  assert.equal(codeQualitySeverity(f('error', 'invalid-signature', 'enforce')), 'blocker');
});
