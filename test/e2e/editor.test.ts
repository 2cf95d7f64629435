// End to end in a real VS Code (code-server) driven from Chromium: what a user sees and does with Image Trust on a
// workspace whose images live in a real local registry, under a trust policy that wants them signed by the
// workspace's release key: five unsigned tag references to pin, and one image pinned by digest, cosign-signed and
// SLSA-attested with that key. Steps run in order and share the editor; each saves a screenshot under
// test-results/e2e/ (IMAGE_TRUST_UPDATE_SCREENSHOTS=1 also refreshes the ones in docs/images/).
// Restricted Mode (an untrusted folder) is covered by restricted-mode.test.ts.
//
// Needs: `node scripts/ensure-code-server.mjs` (code-server + Node 24 in .tools/), Debian's chromium, and the
// registry test bed (docker-registry, skopeo). Missing → skipped locally with the reason, a failure when CI=true.
import assert from 'node:assert/strict';
import { watch } from 'node:fs';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../support/cli';
import { startRegistry, type TestRegistry } from '../support/registry';
import { startCodeServer, type CodeServer } from './support/codeServer';
import { createDemoWorkspace, type DemoWorkspace } from './support/demoWorkspace';
import { requireE2E } from './support/prerequisites';
import { launchBrowser, SCREENSHOT_DIR, Workbench, type Browser } from './support/workbench';
import { FailureTracker } from './support/failures';

const requirement = requireE2E();
const STEP_TIMEOUT_MS = 120_000;
const DOC_SCREENSHOTS: Record<string, string> = {
  problems: 'e2e-problems.png',
  'quick-fix-menu': 'e2e-quick-fix.png',
  hover: 'e2e-hover.png',
  'trust-view': 'e2e-trust-view.png',
  'verified-hover': 'e2e-verified-hover.png',
  'verified-tree': 'e2e-verified-tree.png',
};
const DOC_SCREENSHOT_MAX_BYTES = 300 * 1024;

/** `name:tag@sha256:…` as the pin quick fix writes it (it keeps the tag). */
function pinned(ws: DemoWorkspace, repoTag: string): string {
  const img = ws.image(repoTag);
  return `${img.reference}@${img.digest}`;
}

describe('Image Trust in a real VS Code (code-server + Chromium)', { ...requirement, timeout: 10 * 60_000 }, () => {
  let registry: TestRegistry | undefined;
  let ws: DemoWorkspace | undefined;
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let wb: Workbench;
  const failures = new FailureTracker();
  const track = <T>(fn: () => Promise<T>) => failures.track(fn);
  const docShots = new Map<string, string>();

  /** A step whose screenshot may become a documentation image. */
  async function docStep<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const result = await wb.step(name, fn);
    docShots.set(name, wb.lastScreenshot);
    return result;
  }

  before(async () => {
    registry = await startRegistry();
    ws = await createDemoWorkspace(registry);
    server = await startCodeServer({ workspace: ws.dir });
    browser = await launchBrowser();
    wb = new Workbench(browser.page);
    await wb.step('workbench', () => wb.open(server!.folderUrl));
  }, { timeout: 4 * 60_000 });

  after(async () => {
    if (failures.failed && server) await server.keepLogs(path.join(SCREENSHOT_DIR, 'code-server-logs')).catch(() => {});
    await browser?.close();
    await server?.stop();
    await ws?.remove();
    await registry?.stop();
    if (!failures.failed && process.env.IMAGE_TRUST_UPDATE_SCREENSHOTS === '1') await updateDocScreenshots(docShots);
  });

  it('lists the tag-only references in the Problems panel', { timeout: STEP_TIMEOUT_MS }, track(async () => {
    await wb.openFile('deploy/web.yaml');
    // Both findings per image: the tag (found offline) and, once the registry answered, the missing signature the
    // workspace policy asks for.
    const flagged = (rows: string[], name: string, finding: string) => rows.some((r) => r.includes(name) && r.includes(finding));
    const rows = await docStep('problems', () =>
      wb.problems('both images of deploy/web.yaml flagged as "pinned only by the tag" and "has no signature"', (rows) =>
        ['demo/web', 'demo/api'].every((name) => flagged(rows, name, 'pinned only by the tag') && flagged(rows, name, 'has no signature'))),
    );
    assert.ok(rows.some((r) => r.includes('web.yaml')), `Problems groups the findings under web.yaml: ${rows.join(' | ')}`);
    assert.ok(rows.some((r) => r.includes('demo/web') && r.includes('has no signature') && r.includes('policy rule "demo-release"')), `the missing signature is reported under the workspace policy: ${rows.join(' | ')}`);
    // The digest is not in the file yet, so nothing may claim it is pinned (the signature finding names the digest
    // the tag points to now, never as a pin).
    const web = ws!.image('demo/web:1.0');
    assert.ok(!rows.some((r) => r.includes(`${web.reference}@`)), rows.join(' | '));
  }));

  it('counts the references in the status bar before pinning', { timeout: STEP_TIMEOUT_MS }, track(async () => {
    const text = await wb.step('status-before', () => wb.statusBarItem(/\b0 pinned · 2 tags\b/));
    assert.match(text, /\b0 pinned · 2 tags\b/);
  }));

  it('shows an Image Trust hover on a reference', { timeout: STEP_TIMEOUT_MS }, track(async () => {
    const { line, column } = ws!.positionOf('demo/web:1.0');
    await wb.goTo(line, column);
    const web = ws!.image('demo/web:1.0');
    const digestShown = web.digest.slice(0, 'sha256:'.length + 12);
    // The extension's own hover, not just the diagnostic's: it shows the digest the registry serves for the tag
    // ("tag 1.0 → sha256:…"; a diagnostic message may name the digest too, so the arrow marks the hover's own line).
    const text = await docStep('hover', () => wb.hoverText(`→ ${digestShown}`));
    assert.ok(text.includes(web.reference), `the hover names the image: ${text}`);
    assert.match(text, /not pinned/i, `the hover says the reference is not pinned: ${text}`);
    // The pushed image has no signature: the hover must say so, never claim it verified.
    assert.match(text, /unsigned|no signatures/i, `the hover reports the missing signature: ${text}`);
    await wb.pressEscape();
  }));

  it('pins one reference with the quick fix (Ctrl+.)', { timeout: STEP_TIMEOUT_MS }, track(async () => {
    const { line, column } = ws!.positionOf('demo/web:1.0');
    await wb.goTo(line, column);
    const digest = ws!.image('demo/web:1.0').digest;
    const picked = await wb.step('quick-fix', () =>
      wb.applyQuickFix('Pin to sha256:', async () => {
        docShots.set('quick-fix-menu', await wb.screenshot('quick-fix-menu'));
      }),
    );
    assert.ok(digest.startsWith(picked.match(/sha256:[0-9a-f]+/)?.[0] ?? '<none>'), `the quick fix names the registry's digest ${digest}: "${picked}"`);
    assert.match(picked, /keeps tag 1\.0/);
    const text = await wb.step('pinned-one', () =>
      wb.waitForEditorText(`demo/web pinned to ${digest}`, (t) => t.includes(pinned(ws!, 'demo/web:1.0'))),
    );
    const api = ws!.image('demo/api:2.0').reference;
    assert.ok(text.includes(api) && !text.includes(`${api}@`), `the other reference is left alone:\n${text}`);
    await wb.problems('the demo/web finding gone, demo/api still listed', (rows) =>
      rows.some((r) => r.includes('demo/api')) && !rows.some((r) => r.includes('demo/web') && r.includes('pinned only by the tag')));
  }));

  it('pins every image of one file with "Image Trust: Pin All Images in This File"', { timeout: STEP_TIMEOUT_MS }, track(async () => {
    await wb.openFile('compose.yaml');
    // VS Code gives compose files the language id `dockercompose`, not `yaml`: the extension must select it too.
    await wb.problems('compose.yaml findings listed (language id dockercompose)', (rows) => rows.some((r) => r.includes('demo/worker')));
    await wb.runCommand('Image Trust: Pin All Images in This File');
    await wb.step('pinned-file', () =>
      wb.waitForEditorText('both compose.yaml images pinned', (t) =>
        t.includes(pinned(ws!, 'demo/cache:7.2')) && t.includes(pinned(ws!, 'demo/worker:1.4'))));
    // Only this file: deploy/web.yaml still has its tag-only api image.
    await wb.problems('demo/api (another file) still flagged', (rows) =>
      rows.some((r) => r.includes('demo/api') && r.includes('pinned only by the tag')));
  }));

  it('pins the rest with "Image Trust: Pin All Images in Workspace", files on disk included', { timeout: STEP_TIMEOUT_MS }, track(async () => {
    await wb.openFile('deploy/web.yaml');
    await wb.runCommand('Image Trust: Pin All Images in Workspace');
    await wb.step('pinned-workspace', () =>
      wb.waitForEditorText('both deploy/web.yaml images pinned', (t) =>
        t.includes(pinned(ws!, 'demo/web:1.0')) && t.includes(pinned(ws!, 'demo/api:2.0'))));
    await wb.problems('no "pinned only by the tag" finding left', (rows) => !rows.some((r) => r.includes('pinned only by the tag')), 30_000);
    // The Dockerfile was never opened: the edit reached it anyway; save everything and read the files back.
    await wb.step('saved', () => saveAllUntilOnDisk(wb, path.join(ws!.dir, 'Dockerfile'), pinned(ws!, 'demo/base:3.1')));
    const onDisk = async (file: string) => readFile(path.join(ws!.dir, file), 'utf8');
    for (const img of ws!.images) {
      const text = await onDisk(img.file);
      assert.ok(text.includes(pinned(ws!, img.repoTag)), `${img.file} pins ${img.repoTag} to ${img.digest}:\n${text}`);
    }
    // Nothing else changed: the files are the originals with "@<digest>" inserted after each reference.
    for (const file of new Set(ws!.images.map((i) => i.file))) {
      let expected = ws!.text(file);
      for (const img of ws!.images.filter((i) => i.file === file)) expected = expected.replace(img.reference, pinned(ws!, img.repoTag));
      assert.equal(await onDisk(file), expected, `${file} differs from the original only by the pins`);
    }
  }));

  it('shows the images in the Image Trust view (activity bar)', { timeout: STEP_TIMEOUT_MS }, track(async () => {
    const web = ws!.image('demo/web:1.0');
    const rows = await docStep('trust-view', () =>
      wb.openView('Image Trust', 'web:1.0 listed with its registry and digest', (rows) =>
        rows.some((r) => r.startsWith('web:1.0 — ') && r.includes(`/demo · ${web.digest.slice(0, 19)}`))));
    assert.ok(rows.some((r) => r.includes('web.yaml')), `the view groups images by file: ${rows.join(' | ')}`);
    assert.ok(rows.some((r) => r.startsWith('api:2.0 — ')), `the view lists demo/api by its short name: ${rows.join(' | ')}`);
  }));

  it('counts the pinned references in the status bar', { timeout: STEP_TIMEOUT_MS }, track(async () => {
    // The status bar counts open documents: open the Dockerfile too, so all five references count.
    await wb.openFile('Dockerfile');
    // The workspace policy wants a release-key signature on demo/**: all five are pinned now, none is signed.
    const text = await wb.step('status-after', () => wb.statusBarItem(/\b5 pinned · 0 tags · 5 unsigned\b/));
    assert.doesNotMatch(text, /\bverified\b/i, 'no image here is signed: nothing may claim verification');
  }));

  it('shows a signed image pinned by digest as "pinned and verified" in the hover', { timeout: STEP_TIMEOUT_MS }, track(async () => {
    const signed = ws!.signed;
    await wb.openFile(signed.file);
    const { line, column } = ws!.positionOf(signed.repoTag);
    await wb.goTo(line, column);
    // The first hover may still say "checking…": wait for the verification's answer.
    const text = await docStep('verified-hover', () => wb.hoverText('Signatures: verified'));
    const lines = text.split('\n');
    const headline = lines.find((l) => l.includes('pinned and verified'));
    assert.ok(headline?.includes(`${signed.reference}@${signed.digest.slice(0, 19)}`), `the headline names the signed image and says "pinned and verified":\n${text}`);
    assert.ok(lines.some((l) => /^✅ Signatures: verified — Signed by \.\/keys\/release\.pub\b/.test(l)), `the signature line names the policy's key:\n${text}`);
    assert.ok(lines.some((l) => /cosign signature \(cosign-tag\) by \.\/keys\/release\.pub: Signature verified/.test(l)), `the cosign signature is listed:\n${text}`);
    assert.ok(lines.some((l) => /SLSA provenance v1 — verified: .*github\.com\/acme\/app/.test(l)), `the SLSA provenance attestation is listed, verified, with its source:\n${text}`);
    assert.match(text, /Policy rule demo-release \(audit\)/, `the workspace policy's rule applied:\n${text}`);
    // One verified image among five unsigned ones: the count grows, the unsigned count does not, and still no
    // "verified" claim in the status bar.
    const status = await wb.statusBarItem(/\b6 pinned · 0 tags · 5 unsigned\b/);
    assert.doesNotMatch(status, /\bverified\b/i);
    await wb.pressEscape();
  }));

  it('shows the signed image with its signature and attestation nodes in the Image Trust view', { timeout: STEP_TIMEOUT_MS }, track(async () => {
    const signed = ws!.signed;
    const shortDigest = signed.digest.slice(0, 19);
    await wb.openView('Image Trust', 'signed:1.0 listed under signed.yaml', (rows) => rows.some((r) => r.startsWith('signed:1.0 — ') && r.includes(shortDigest)));
    const rows = await docStep('verified-tree', () =>
      wb.expandViewRow('signed:1.0', 'the digest node with a verified cosign signature and SLSA provenance', (rows) =>
        rows.some((r) => r.startsWith('cosign signature — verified')) && rows.some((r) => r.startsWith('SLSA provenance'))));
    // reference → digest → signature, attestation: the nodes follow each other in that order.
    const at = (test: (r: string) => boolean, what: string) => {
      const i = rows.findIndex(test);
      assert.ok(i >= 0, `the view shows ${what}: ${rows.join(' | ')}`);
      return i;
    };
    const ref = at((r) => r.startsWith('signed:1.0 — '), 'the signed reference');
    const digest = at((r) => r.startsWith(shortDigest), 'its digest node');
    const signature = at((r) => r.startsWith('cosign signature'), 'the cosign signature node');
    const attestation = at((r) => r.startsWith('SLSA provenance'), 'the attestation node');
    assert.ok(ref < digest && digest < signature && signature < attestation, `reference → digest → signature → attestation: ${rows.join(' | ')}`);
    assert.equal(rows[digest], `${shortDigest} — pinned`, 'the digest is the pin in the file');
    assert.equal(rows[signature], 'cosign signature — verified · ./keys/release.pub', 'the signature node names the key');
    assert.equal(rows[attestation], 'SLSA provenance v1 — verified');
    // An unsigned image's digest node says so, never "verified".
    const web = ws!.image('demo/web:1.0');
    const all = await wb.expandViewRow('web:1.0', 'demo/web\'s digest node with "No signatures"', (rows) => rows.some((r) => r.startsWith('No signatures')));
    const none = all.filter((r) => r.startsWith('No signatures'));
    assert.equal(none.length, 1, `one unsigned image expanded: ${all.join(' | ')}`);
    assert.equal(none[0], 'No signatures — unsigned');
    assert.equal(all.filter((r) => r.startsWith('cosign signature')).length, 1, `only the signed image has a signature node: ${all.join(' | ')}`);
  }));
});

/**
 * Saving is asynchronous: wait (bounded) until `file` on disk holds `needle`, re-reading it whenever its folder
 * changes (the watcher is up before the first read, so no write is missed).
 */
function waitForFileToInclude(file: string, needle: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let last = '';
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      watcher.close();
      if (err) reject(err);
      else resolve();
    };
    const check = async () => {
      last = await readFile(file, 'utf8').catch((err: Error) => `(unreadable: ${err.message})`);
      if (last.includes(needle)) settle();
    };
    const watcher = watch(path.dirname(file), () => void check());
    watcher.on('error', (err) => settle(err));
    const timer = setTimeout(() => settle(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${file} to contain ${needle}; it reads:\n${last}`)), timeoutMs);
    void check();
  });
}

/**
 * "File: Save All" until `file` on disk holds `needle` (at most three times). The workbench occasionally skips a
 * file that a workspace edit opened moments before — the editor shows the pin, the tab stays dirty — and a second
 * Save All writes it: a workbench race, not the edit missing (the language server already sees the pinned text).
 */
async function saveAllUntilOnDisk(wb: Workbench, file: string, needle: string, attempts = 3): Promise<void> {
  for (let i = 1; ; i++) {
    await wb.runCommand('File: Save All');
    try {
      return await waitForFileToInclude(file, needle, 5_000);
    } catch (err) {
      if (i === attempts) throw err;
    }
  }
}

/** Copies the chosen screenshots to docs/images/, refusing any that would bloat the repository. */
async function updateDocScreenshots(shots: Map<string, string>): Promise<void> {
  const dir = path.join(REPO_ROOT, 'docs', 'images');
  await mkdir(dir, { recursive: true });
  for (const [name, file] of shots) {
    const target = DOC_SCREENSHOTS[name];
    if (!target) continue;
    const { size } = await stat(file);
    if (size > DOC_SCREENSHOT_MAX_BYTES) throw new Error(`${file} is ${Math.round(size / 1024)} KB, over the ${DOC_SCREENSHOT_MAX_BYTES / 1024} KB limit for docs/images`);
    await copyFile(file, path.join(dir, target));
  }
}
