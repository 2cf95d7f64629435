// Image Trust in VS Code's Restricted Mode (an untrusted folder), in a real VS Code (code-server + Chromium): files
// are still read and tag-only references still reported, but no registry is contacted. The workspace names its
// image through a counting proxy in front of a real registry, so "no request" is a count of zero — and trusting the
// folder (then reloading, as the extension asks) shows the same proxy does see the extension's requests.
//
// Needs what editor.test.ts needs (code-server in .tools/, Chromium, the registry test bed).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildImage, pushImage, startRegistry, type TestRegistry } from '../support/registry';
import { startCodeServer, type CodeServer } from './support/codeServer';
import { startCountingProxy, type CountingProxy } from './support/countingProxy';
import { requireE2E } from './support/prerequisites';
import { launchBrowser, SCREENSHOT_DIR, Workbench, type Browser } from './support/workbench';
import { FailureTracker } from './support/failures';

const requirement = requireE2E();
const STEP_TIMEOUT_MS = 120_000;
const REPO_TAG = 'demo/app:1.0';
const FILE = 'pod.yaml';

interface Workspace {
  dir: string;
  /** `<proxy host>/demo/app:1.0`, as written in the file. */
  reference: string;
  /** What the registry serves for the tag. */
  digest: string;
  /** 1-based position inside the reference. */
  line: number;
  column: number;
}

/** A folder with one Pod whose image is pushed to `registry` and named through the proxy's host. */
async function createWorkspace(registry: TestRegistry, proxyHost: string): Promise<Workspace> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'image-trust-e2e-restricted-'));
  try {
    const layout = await buildImage(path.join(dir, '.layout'), { seed: REPO_TAG });
    const digest = await pushImage(layout, registry, REPO_TAG);
    await rm(layout.dir, { recursive: true, force: true });
    const reference = `${proxyHost}/${REPO_TAG}`;
    const lines = ['apiVersion: v1', 'kind: Pod', 'metadata:', '  name: app', 'spec:', '  containers:', '    - name: app', `      image: ${reference}`, ''];
    await writeFile(path.join(dir, FILE), lines.join('\n'));
    const line = lines.findIndex((l) => l.includes(reference));
    return { dir, reference, digest, line: line + 1, column: lines[line]!.indexOf(reference) + proxyHost.length + 4 };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

describe('Image Trust in Restricted Mode (untrusted folder, code-server + Chromium)', { ...requirement, timeout: 6 * 60_000 }, () => {
  let registry: TestRegistry | undefined;
  let proxy: CountingProxy | undefined;
  let ws: Workspace | undefined;
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let wb: Workbench;
  const failures = new FailureTracker();
  const track = <T>(fn: () => Promise<T>) => failures.track(fn);

  before(async () => {
    registry = await startRegistry();
    proxy = await startCountingProxy(registry.url);
    ws = await createWorkspace(registry, proxy.host);
    server = await startCodeServer({ workspace: ws.dir, workspaceTrust: true });
    browser = await launchBrowser();
    wb = new Workbench(browser.page);
    await wb.step('restricted-workbench', () => wb.open(server!.folderUrl));
  }, { timeout: 4 * 60_000 });

  after(async () => {
    if (failures.failed && server) await server.keepLogs(path.join(SCREENSHOT_DIR, 'code-server-logs-restricted')).catch(() => {});
    await browser?.close();
    await server?.stop();
    if (ws) await rm(ws.dir, { recursive: true, force: true });
    await proxy?.stop();
    await registry?.stop();
  });

  it('opens the folder in Restricted Mode', { timeout: STEP_TIMEOUT_MS }, track(async () => {
    await wb.step('restricted-mode', () => wb.statusBarItem(/^Restricted Mode$/));
  }));

  it('still reports the tag-only reference in the Problems panel', { timeout: STEP_TIMEOUT_MS }, track(async () => {
    await wb.openFile(FILE);
    const rows = await wb.step('restricted-problems', () =>
      wb.problems('the demo/app reference flagged as "pinned only by the tag"', (rows) => rows.some((r) => r.includes(ws!.reference) && r.includes('pinned only by the tag'))));
    assert.ok(!rows.some((r) => r.includes('sha256:')), `no digest can be known without the registry: ${rows.join(' | ')}`);
  }));

  it('hovers without asking the registry: no digest, signatures not checked, zero requests', { timeout: STEP_TIMEOUT_MS }, track(async () => {
    await wb.goTo(ws!.line, ws!.column);
    // "not checked" (instead of "checking…") means the background work for this reference has finished.
    const text = await wb.step('restricted-hover', () => wb.hoverText('Signatures: not checked'));
    assert.match(text, /not pinned/, `the hover says the reference is not pinned: ${text}`);
    assert.match(text, /Signatures: not checked — the digest is unknown/, text);
    // The registry line says nothing was fetched (today: the offline cache-miss message), never a digest.
    assert.match(text, /Restricted Mode: the registry is not asked/, `the hover says the registry was not asked: ${text}`);
    assert.doesNotMatch(text, /sha256:|checked just now|Signatures: (verified|unsigned)/, `nothing may look checked: ${text}`);
    const status = await wb.statusBarItem(/\b0 pinned · 1 tag\b/);
    assert.doesNotMatch(status, /unsigned|verified/, `the status bar judges no signature: ${status}`);
    assert.equal(proxy!.requests.length, 0, `in Restricted Mode the extension sends no request to the registry: ${proxy!.requests.join(', ')}`);
    await wb.pressEscape();
  }));

  it('asks the registry once the folder is trusted and the window reloaded (the counter sees requests)', { timeout: STEP_TIMEOUT_MS }, track(async () => {
    await wb.step('trusted', () => wb.trustWorkspace());
    // The language server was started untrusted: the extension says a reload is needed, and until then stays quiet.
    await wb.notification('reload the window to let it contact registries');
    assert.equal(proxy!.requests.length, 0, `no request before the reload: ${proxy!.requests.join(', ')}`);
    await wb.reload();
    await wb.openFile(FILE);
    await wb.goTo(ws!.line, ws!.column);
    // "unsigned" comes last: the tag is resolved, then the signatures of its digest looked up.
    const text = await wb.step('trusted-hover', () => wb.hoverText('Signatures: unsigned', 45_000));
    assert.ok(text.includes(`tag 1.0 → ${ws!.digest.slice(0, 19)}`), `with the registry, the tag is resolved to its digest: ${text}`);
    assert.ok(proxy!.requests.includes(`HEAD /v2/demo/app/manifests/1.0`), `the tag was resolved through the proxy: ${proxy!.requests.join(', ')}`);
  }));
});
