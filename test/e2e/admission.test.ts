// The admission preview (issue 11) in a real VS Code (code-server + Chromium): a workspace with a Kyverno ClusterPolicy
// that requires the release key's signature on every image of its registry, and a Pod with one image signed by that
// key and one unsigned. The unsigned image shows the admission-denied diagnostic in the Problems panel, the hover's
// "Admission" section names engine, policy and rule and the precise reason, and the status bar counts the denial.
//
// Needs what editor.test.ts needs (code-server in .tools/, Chromium, the registry test bed).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildImage, pushImage, startRegistry, type TestRegistry } from '../support/registry';
import { cosignKeySignature, newKeyPair, publicKeyPem, pushCosignSignatures } from '../support/signing';
import { startCodeServer, type CodeServer } from './support/codeServer';
import { requireE2E } from './support/prerequisites';
import { launchBrowser, SCREENSHOT_DIR, Workbench, type Browser } from './support/workbench';
import { FailureTracker } from './support/failures';

const requirement = requireE2E();
const STEP_TIMEOUT_MS = 120_000;
const FILE = 'deploy/pod.yaml';

interface Workspace {
  dir: string;
  signed: string;
  unsigned: string;
  /** 1-based line and a column inside the unsigned reference. */
  line: number;
  column: number;
}

async function createWorkspace(registry: TestRegistry): Promise<Workspace> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'image-trust-e2e-admission-'));
  try {
    const key = newKeyPair();
    const refs: Record<string, string> = {};
    for (const repo of ['shop/signed', 'shop/unsigned']) {
      const layout = await buildImage(path.join(dir, '.layouts', repo), { seed: `e2e-admission-${repo}` });
      const digest = await pushImage(layout, registry, `${repo}:1.0`);
      if (repo === 'shop/signed') await pushCosignSignatures(registry, repo, digest, [cosignKeySignature(key.privateKey, `${registry.host}/${repo}`, digest)]);
      refs[repo] = `${registry.host}/${repo}:1.0@${digest}`;
    }
    await rm(path.join(dir, '.layouts'), { recursive: true, force: true });
    await mkdir(path.join(dir, 'policies'));
    await mkdir(path.join(dir, 'deploy'));
    const pem = publicKeyPem(key.publicKey).trim().split('\n');
    await writeFile(
      path.join(dir, 'policies', 'kyverno.yaml'),
      [
        'apiVersion: kyverno.io/v1',
        'kind: ClusterPolicy',
        'metadata:',
        '  name: require-release-key',
        'spec:',
        '  validationFailureAction: Enforce',
        '  rules:',
        '    - name: release-key',
        '      match: { any: [{ resources: { kinds: [Pod] } }] }',
        '      verifyImages:',
        `        - imageReferences: ["${registry.host}/shop/*"]`,
        '          attestors:',
        '            - entries:',
        '                - keys:',
        '                    publicKeys: |-',
        ...pem.map((l) => `                      ${l}`),
        '                    rekor: { url: https://rekor.sigstore.dev, ignoreTlog: true }',
        '',
      ].join('\n'),
    );
    const lines = ['apiVersion: v1', 'kind: Pod', 'metadata:', '  name: shop', '  namespace: shop', 'spec:', '  containers:', '    - name: api', `      image: ${refs['shop/signed']}`, '    - name: worker', `      image: ${refs['shop/unsigned']}`, ''];
    await writeFile(path.join(dir, FILE), lines.join('\n'));
    const line = lines.findIndex((l) => l.includes(refs['shop/unsigned']));
    return { dir, signed: refs['shop/signed'], unsigned: refs['shop/unsigned'], line: line + 1, column: lines[line]!.indexOf('unsigned') + 1 };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

describe('Admission preview in a real VS Code (code-server + Chromium)', { ...requirement, timeout: 6 * 60_000 }, () => {
  let registry: TestRegistry | undefined;
  let ws: Workspace | undefined;
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let wb: Workbench;
  const failures = new FailureTracker();
  const track = <T>(fn: () => Promise<T>) => failures.track(fn);

  before(async () => {
    registry = await startRegistry();
    ws = await createWorkspace(registry);
    server = await startCodeServer({ workspace: ws.dir });
    browser = await launchBrowser();
    wb = new Workbench(browser.page);
    await wb.step('admission-workbench', () => wb.open(server!.folderUrl));
  }, { timeout: 4 * 60_000 });

  after(async () => {
    if (failures.failed && server) await server.keepLogs(path.join(SCREENSHOT_DIR, 'code-server-logs-admission')).catch(() => {});
    await browser?.close();
    await server?.stop();
    if (ws) await rm(ws.dir, { recursive: true, force: true });
    await registry?.stop();
  });

  it('lists the denied image in the Problems panel, naming engine, policy, rule and reason', { timeout: STEP_TIMEOUT_MS }, track(async () => {
    await wb.openFile(FILE);
    const rows = await wb.step('admission-problems', () =>
      wb.problems('the unsigned image denied at admission', (rows) => rows.some((r) => r.includes('Admission (Kyverno ClusterPolicy/require-release-key, rule release-key): denied (Enforce)'))));
    const denied = rows.filter((r) => r.includes('Admission (Kyverno') && r.includes('denied'));
    assert.equal(denied.length, 1, `only the unsigned image is denied: ${rows.join(' | ')}`);
    assert.match(denied[0], /no Cosign signature found for this digest/);
    assert.match(denied[0], /admission-no-signature/);
  }));

  it('explains the denial in the hover: engine, policy, rule, reason, expected', { timeout: STEP_TIMEOUT_MS }, track(async () => {
    await wb.goTo(ws!.line, ws!.column);
    const text = await wb.step('admission-hover', () => wb.hoverText('denied by Kyverno ClusterPolicy/require-release-key'));
    assert.match(text, /Admission/);
    assert.match(text, /denied by Kyverno ClusterPolicy\/require-release-key, rule release-key: denied \(Enforce\): no Cosign signature found for this digest/, text);
    assert.match(text, /admission-no-signature/, text);
    assert.match(text, /expected: a signature by key publicKeys/, text);
    await wb.pressEscape();
  }));

  it('counts the denial in the status bar', { timeout: STEP_TIMEOUT_MS }, track(async () => {
    const status = await wb.step('admission-status', () => wb.statusBarItem(/1 denied at admission/));
    assert.match(status, /2 pinned/);
  }));
});
