// `verifyPlatforms`: a multi-platform index whose platform manifests are signed (cosign sign --recursive style)
// passes when the rule asks to look at the platforms; without it, the unsigned index is unsigned.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RegistryClient } from '../../server/src/core/registry';
import { buildImage, pushImage, startRegistry, type ImageLayout, type TestRegistry } from '../support/registry';
import { cosignKeySignature, newKeyPair, publicKeyPem, pushCosignSignatures, testRegistryClient, verifyOne } from '../support/signing';
import { requireRegistryTools } from '../support/requirements';

const { skip } = requireRegistryTools();

describe('verifyPlatforms against a real registry', { skip }, () => {
  let reg: TestRegistry;
  let dir: string;
  let client: RegistryClient;
  let all: ImageLayout;
  let half: ImageLayout;
  const policy = (verifyPlatforms: boolean) => {
    const file = join(dir, `policy-${verifyPlatforms}.yaml`);
    writeFileSync(file, ['version: 1', 'rules:', '  - name: multi', `    match: ["${reg.host}/multi/**"]`, '    mode: enforce', `    verifyPlatforms: ${verifyPlatforms}`, '    signers:', `      - key: ${join(dir, 'release.pub')}`,
      // The platform signatures are made without a transparency log; this test is about platforms, so accept that.
      '        tlog: false', ''].join('\n'));
    return file;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'image-trust-platforms-'));
    reg = await startRegistry();
    client = testRegistryClient({ reg });
    const keys = newKeyPair();
    writeFileSync(join(dir, 'release.pub'), publicKeyPem(keys.publicKey));
    const platforms = [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }];
    all = await buildImage(join(dir, 'all'), { seed: 'all', platforms });
    await pushImage(all, reg, 'multi/all:1.0');
    half = await buildImage(join(dir, 'half'), { seed: 'half', platforms });
    await pushImage(half, reg, 'multi/half:1.0');
    for (const m of all.manifests) await pushCosignSignatures(reg, 'multi/all', m.digest, [cosignKeySignature(keys.privateKey, `${reg.host}/multi/all`, m.digest)]);
    const first = half.manifests[0];
    await pushCosignSignatures(reg, 'multi/half', first.digest, [cosignKeySignature(keys.privateKey, `${reg.host}/multi/half`, first.digest)]);
  });
  after(async () => {
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('every platform manifest signed: verified only when the rule looks at the platforms', async () => {
    const ref = `${reg.host}/multi/all@${all.digest}`;
    const without = await verifyOne(client, ref, policy(false));
    assert.equal(without.trust?.status, 'unsigned', without.trust?.reason);
    assert.deepEqual(without.findings.map((f) => f.code), ['unsigned']);
    const withPlatforms = await verifyOne(client, ref, policy(true));
    assert.equal(withPlatforms.trust?.status, 'verified', withPlatforms.trust?.reason);
    assert.deepEqual(withPlatforms.findings, []);
    assert.equal(withPlatforms.trust?.signatures.filter((s) => s.status === 'verified').length, 2);
    assert.ok(withPlatforms.trust?.signatures.every((s) => /^linux\/(amd64|arm64): /.test(s.reason)));
    assert.ok(withPlatforms.trust?.signatures.every((s) => s.reason.endsWith('no transparency-log entry (allowed by policy).')));
  });

  test('one platform unsigned: not verified, and the message names it', async () => {
    const v = await verifyOne(client, `${reg.host}/multi/half@${half.digest}`, policy(true));
    assert.equal(v.trust?.status, 'unsigned', v.trust?.reason);
    assert.match(v.trust!.reason, /Platforms not verified: linux\/arm64 \(unsigned\)/);
    assert.deepEqual(v.findings.map((f) => [f.code, f.severity]), [['unsigned', 'error']]);
  });
});
