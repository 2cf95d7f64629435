// `scan --admission --changed-since main` reports new admission denials only: admission is evaluated at the merge base
// (its manifests, its policies) and in the working tree, on a real registry with real cosign signatures. A feature
// branch adds a denied image (new: reported), keeps an image that was already denied (not reported), and widens a
// Kyverno policy so that an image nobody touched is now denied (new, on an unchanged reference: reported).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../support/cli';
import { GIT_ENV, TempRepo } from '../support/git-repo';
import { buildImage, pushImage, startRegistry, type ImageLayout, type TestRegistry } from '../support/registry';
import { requireTools, REGISTRY_TOOLS, GIT_TOOL } from '../support/requirements';
import { cosignKeySignature, newKeyPair, publicKeyPem, pushCosignSignatures } from '../support/signing';

const REPOS = ['app/signed', 'app/old-unsigned', 'app/new-unsigned', 'other/unsigned', 'other/signed'] as const;
type Repo = (typeof REPOS)[number];

interface JsonOut {
  references: { path: string; text: string; range: { start: { line: number } }; changed?: boolean; admission?: { policy: string; result: string; reason: string | null; new?: boolean }[] }[];
  diagnostics: { path: string; code: string; severity: string; message: string; range: { start: { line: number } } }[];
  changedSince?: { admission?: { newDenials: number; onUnchanged: number } };
}

function kyverno(host: string, key: string, refs: string[]): string {
  return [
    'apiVersion: kyverno.io/v1',
    'kind: ClusterPolicy',
    'metadata:',
    '  name: signed-images',
    'spec:',
    '  validationFailureAction: Enforce',
    '  rules:',
    '    - name: release-key',
    '      match: { any: [{ resources: { kinds: [Pod] } }] }',
    '      verifyImages:',
    `        - imageReferences: [${refs.map((r) => JSON.stringify(`${host}/${r}`)).join(', ')}]`,
    '          attestors:',
    '            - entries:',
    '                - keys:',
    '                    publicKeys: |-',
    ...key.trim().split('\n').map((l) => `                      ${l}`),
    '                    rekor: { url: https://rekor.sigstore.dev, ignoreTlog: true }',
    '',
  ].join('\n');
}

const pod = (name: string, images: string[]) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: apps\nspec:\n  containers:\n${images.map((image, i) => `    - name: c${i}\n      image: ${image}\n`).join('')}`;

describe('scan --admission --changed-since: new denials only', requireTools([...REGISTRY_TOOLS, GIT_TOOL]), () => {
  let reg: TestRegistry;
  let dir: string;
  let repo: TempRepo;
  const images = {} as Record<Repo, ImageLayout>;
  let at: (r: Repo) => string;
  let runs = 0;
  const scan = (args: string[]) => runCli(['scan', '--admission', '--changed-since', 'main', ...args, '.'], { cwd: repo.dir, env: { ...GIT_ENV, IMAGE_TRUST_CACHE_DIR: path.join(dir, `cache-${runs++}`) }, timeoutMs: 120_000 });

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'image-trust-admission-gate-'));
    reg = await startRegistry();
    const key = newKeyPair();
    for (const r of REPOS) {
      images[r] = await buildImage(path.join(dir, 'layouts', r), { seed: `gate-${r}` });
      await pushImage(images[r], reg, `${r}:1.0`);
    }
    for (const r of ['app/signed', 'other/signed'] as const) await pushCosignSignatures(reg, r, images[r].digest, [cosignKeySignature(key.privateKey, `${reg.host}/${r}`, images[r].digest)]);
    at = (r) => `${reg.host}/${r}@${images[r].digest}`;
    const pem = publicKeyPem(key.publicKey);

    repo = new TempRepo('image-trust-admission-gate-repo-');
    repo.write('policies/kyverno.yaml', kyverno(reg.host, pem, ['app/*']));
    repo.write('deploy/apps.yaml', [pod('signed', [at('app/signed')]), pod('old', [at('app/old-unsigned')])].join('---\n'));
    repo.write('deploy/other.yaml', pod('other', [at('other/unsigned'), at('other/signed')]));
    repo.commitAll('base: app/old-unsigned is already denied');
    repo.git('checkout', '-q', '-b', 'feature');
    // The feature: a new denied image in a changed file, and the policy now also covers other/* (unchanged file).
    repo.write('deploy/apps.yaml', [pod('signed', [at('app/signed')]), pod('old', [at('app/old-unsigned')]), pod('new', [at('app/new-unsigned')])].join('---\n'));
    repo.write('policies/kyverno.yaml', kyverno(reg.host, pem, ['app/*', 'other/*']));
  });
  after(async () => {
    await reg?.stop();
    repo?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('JSON: admission-denied for the new image and for the unchanged image the policy change denies; not for the old denial', () => {
    const r = scan(['--format', 'json']);
    assert.equal(r.status, 1, r.stderr);
    const out = JSON.parse(r.stdout) as JsonOut;
    const denied = out.diagnostics.filter((d) => d.code === 'admission-denied');
    const imageOf = (d: JsonOut['diagnostics'][number]) => out.references.find((x) => x.path === d.path && x.range.start.line === d.range.start.line)?.text ?? `?${d.path}:${d.range.start.line}`;
    assert.deepEqual(denied.map(imageOf).sort(), [at('app/new-unsigned'), at('other/unsigned')].sort(), JSON.stringify(denied, null, 1));
    for (const d of denied) assert.match(d.message, /^Admission \(Kyverno ClusterPolicy\/signed-images, rule release-key\): denied \(Enforce\): no Cosign signature found .*\[admission-no-signature\]$/);
    assert.deepEqual(out.changedSince?.admission, { newDenials: 2, onUnchanged: 1 });

    const ref = (fragment: string) => out.references.find((x) => x.text.includes(fragment))!;
    // The new image: a changed reference, its denial marked new.
    assert.equal(ref('/app/new-unsigned@').changed, true);
    assert.deepEqual(ref('/app/new-unsigned@').admission?.map((a) => [a.result, a.new]), [['denied', true]]);
    // The unchanged reference a policy change now denies: changed false, with its new denial.
    assert.equal(ref('/other/unsigned@').changed, false);
    assert.deepEqual(ref('/other/unsigned@').admission?.map((a) => [a.policy, a.result, a.reason, a.new]), [['ClusterPolicy/signed-images', 'denied', 'admission-no-signature', true]]);
    // Already denied at the merge base: nothing reported; an admitted unchanged image: nothing either.
    assert.equal(ref('/app/old-unsigned@').changed, false);
    assert.equal(ref('/app/old-unsigned@').admission, undefined);
    assert.equal(ref('/other/signed@').admission, undefined);
    assert.ok(!out.diagnostics.some((d) => d.code.startsWith('admission-') && imageOf(d) === at('app/old-unsigned')), 'the old denial is not reported');
  });

  test('text and markdown say how many denials are new and how many hit untouched references', () => {
    const text = scan(['--format', 'text']);
    assert.equal(text.status, 1, text.stderr);
    assert.match(text.stdout, /Admission: 2 new denial\(s\) compared with the merge base, 1 of them on unchanged references/);
    const md = scan(['--format', 'markdown']);
    assert.match(md.stdout, /\*\*Admission: 2 new denial\(s\)\*\* compared with the merge base — 1 on reference\(s\) this change did not touch/);
    assert.equal(md.stdout.split('\n').filter((l) => l.includes('`admission-denied`')).length, 2, md.stdout);
  });

  test('without a policy change, unchanged references are not evaluated and an already denied image stays unreported', () => {
    // Restore the merge base's policy: only the new image remains a new denial.
    const saved = repo.git('show', 'HEAD:policies/kyverno.yaml');
    repo.write('policies/kyverno.yaml', saved);
    const out = JSON.parse(scan(['--format', 'json']).stdout) as JsonOut;
    assert.deepEqual(out.changedSince?.admission, { newDenials: 1, onUnchanged: 0 });
    assert.deepEqual(out.diagnostics.filter((d) => d.code === 'admission-denied').map((d) => d.path), ['deploy/apps.yaml']);
    // Unchanged references of unchanged files were not evaluated: no admission results on them.
    assert.equal(out.references.find((x) => x.text.includes('/other/unsigned@'))?.admission, undefined);
  });
});
