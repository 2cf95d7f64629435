// Driving the VS Code workbench (code-server) from Debian's Chromium through playwright-core, the way a user does:
// keyboard shortcuts, the command palette, the Problems panel, the activity bar, the status bar. Every wait is
// bounded; flaky UI waits are retried; a failed step saves a screenshot and names it in the error.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT } from '../../support/cli';
import { CHROMIUM } from './prerequisites';
import { delay, waitFor } from './processes';

export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-results', 'e2e');

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const WORKBENCH_TIMEOUT_MS = 90_000;
const UI_TIMEOUT_MS = 15_000;

export interface Browser {
  page: Page;
  close(): Promise<void>;
}

/** Chromium with a fresh profile; `close()` ends it and removes the profile. */
export async function launchBrowser(): Promise<Browser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'image-trust-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      // Chromium writes crash-report and dconf state under HOME/XDG dirs even with its own profile: keep it in there.
      env: { ...process.env, HOME: profile, XDG_CONFIG_HOME: path.join(profile, '.config'), XDG_CACHE_HOME: path.join(profile, '.cache') },
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      timeout: 60_000,
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    page,
    async close() {
      await Promise.race([context.close(), delay(10_000)]);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` up to `attempts` times; `between` (e.g. closing a half-open widget) runs after each failed try. */
export async function retry<T>(what: string, attempts: number, fn: (attempt: number) => Promise<T>, between?: () => Promise<void>): Promise<T> {
  let last: unknown;
  for (let i = 1; i <= attempts; i++) {
    try {
      return await fn(i);
    } catch (err) {
      last = err;
      if (i < attempts) await between?.().catch(() => {});
    }
  }
  throw new Error(`${what} failed after ${attempts} attempts: ${last instanceof Error ? last.message : String(last)}`);
}

/** Monaco renders spaces as U+00A0; tests compare with the file's text. */
function plain(text: string): string {
  return text.replace(/\u00a0/g, ' ');
}

export class Workbench {
  private shot = 0;
  /** The screenshot the last successful `step` saved. */
  lastScreenshot = '';
  constructor(readonly page: Page) {}

  async open(url: string): Promise<void> {
    await this.page.goto(url, { timeout: WORKBENCH_TIMEOUT_MS, waitUntil: 'domcontentloaded' });
    await this.waitForWorkbench();
  }

  /** Reloads the window (what "Developer: Reload Window" does in a browser): extensions start afresh. */
  async reload(): Promise<void> {
    await this.page.reload({ timeout: WORKBENCH_TIMEOUT_MS, waitUntil: 'domcontentloaded' });
    await this.waitForWorkbench();
  }

  private async waitForWorkbench(): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: WORKBENCH_TIMEOUT_MS });
    // The explorer lists the folder once the remote file system is connected.
    await this.page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ state: 'visible', timeout: WORKBENCH_TIMEOUT_MS });
  }

  /**
   * Trusts the open folder as a user does: "Workspaces: Manage Workspace Trust", then the editor's Trust button.
   * Returns once the status bar no longer shows Restricted Mode.
   */
  async trustWorkspace(): Promise<void> {
    await this.runCommand('Workspaces: Manage Workspace Trust');
    const trust = this.page.locator('.workspace-trust-editor .monaco-button').filter({ hasText: /^Trust$/ }).first();
    await trust.waitFor({ state: 'visible', timeout: 10_000 });
    await trust.click();
    const restricted = this.page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: 'Restricted Mode' });
    await restricted.waitFor({ state: 'hidden', timeout: 10_000 });
  }

  /** The text of the first notification toast that includes `text`, once one shows. */
  async notification(text: string, timeoutMs = 15_000): Promise<string> {
    const toast = this.page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
    await toast.waitFor({ state: 'visible', timeout: timeoutMs });
    return plain(await toast.innerText());
  }

  /** Saves `test-results/e2e/<nn>-<name>.png` and returns its path. */
  async screenshot(name: string): Promise<string> {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    const file = path.join(SCREENSHOT_DIR, `${String(++this.shot).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file, timeout: 15_000 });
    return file;
  }

  /**
   * One user-visible step: on success a screenshot of the result, on failure a screenshot of what was on screen,
   * named in the error so the failure can be looked at.
   */
  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      const file = await this.screenshot(`FAILED-${name}`).catch((e: Error) => `(no screenshot: ${e.message})`);
      const message = err instanceof Error ? err.message : String(err);
      throw Object.assign(new Error(`step "${name}" failed: ${message}\nscreenshot: ${file}`), { cause: err });
    }
    this.lastScreenshot = await this.screenshot(name);
    return result;
  }

  async pressEscape(times = 1): Promise<void> {
    for (let i = 0; i < times; i++) await this.page.keyboard.press('Escape');
  }

  // ---- quick input (palette, Go to File, Go to Line) --------------------------------------------------------------

  private get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  /**
   * Types into the quick input once it is open. `fill` targets the input element itself: should the shortcut not
   * have opened it, nothing is typed into the editor behind it.
   */
  private async fillQuickInput(text: string): Promise<void> {
    const input = this.quickInput.locator('input');
    await input.waitFor({ state: 'visible', timeout: 5_000 });
    await input.fill(text);
  }

  /** The first row that shows `text` (with `exact`, a row whose label is exactly `text`, not just starts with it). */
  private async quickInputRow(text: string, exact = false): Promise<Locator> {
    const row = (exact
      ? this.quickInput.locator('.monaco-list-row').filter({ has: this.page.getByText(text, { exact: true }) })
      : this.quickInput.locator('.monaco-list-row', { hasText: text })).first();
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    return row;
  }

  /** Runs a command by its palette title (F1, type, pick the row with exactly that title). */
  async runCommand(title: string): Promise<void> {
    await retry(`running "${title}" from the command palette`, 3, async () => {
      await this.page.keyboard.press('F1');
      await this.fillQuickInput(`>${title}`);
      const row = await this.quickInputRow(title, true).catch(() => {
        throw new Error(`no palette entry "${title}" (is the command contributed in package.json?)`);
      });
      await row.click();
      await this.quickInput.waitFor({ state: 'hidden', timeout: 5_000 });
    }, () => this.pressEscape(2));
  }

  /** Opens a workspace file by its relative path through Go to File (Ctrl+P), then waits for its tab. */
  async openFile(relPath: string): Promise<void> {
    const base = path.basename(relPath);
    await retry(`opening ${relPath}`, 3, async () => {
      await this.page.keyboard.press('Control+P');
      await this.fillQuickInput(relPath);
      await (await this.quickInputRow(base)).click();
      await this.page.locator('.tabs-container .tab.active', { hasText: base }).waitFor({ state: 'visible', timeout: 10_000 });
      await this.activeEditor.locator('.view-lines').waitFor({ state: 'visible' });
    }, () => this.pressEscape(2));
  }

  /** Moves the cursor with Go to Line/Column (Ctrl+G); line and column are 1-based. */
  async goTo(line: number, column: number): Promise<void> {
    await retry(`going to ${line}:${column}`, 3, async () => {
      // Close any hover or menu, then focus the editor (View: Focus First Editor Group) without clicking into it:
      // a click could land on a widget lying over the text.
      await this.pressEscape(2);
      await this.page.keyboard.press('Control+1');
      await this.page.keyboard.press('Control+G');
      await this.fillQuickInput(`:${line}:${column}`);
      await this.quickInput.locator('input').press('Enter');
      await this.quickInput.waitFor({ state: 'hidden', timeout: 5_000 });
      const status = await this.page.locator('#status\\.editor\\.selection').innerText({ timeout: 5_000 });
      if (!status.includes(`Ln ${line}, Col ${column}`)) throw new Error(`cursor is at "${status}"`);
    }, () => this.pressEscape(2));
  }

  // ---- editor -------------------------------------------------------------------------------------------------------

  get activeEditor(): Locator {
    return this.page.locator('.editor-group-container.active .editor-instance .monaco-editor').first();
  }

  /**
   * The text of the active editor as rendered. Monaco renders only the visible lines: scroll to the top first with
   * the mouse wheel over the gutter (moving neither the cursor nor the focus); the test files fit on screen.
   */
  async editorText(): Promise<string> {
    const gutter = this.activeEditor.locator('.margin');
    const box = await gutter.boundingBox();
    if (box) {
      await this.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await this.page.mouse.wheel(0, -5_000);
      await delay(100);
    }
    return plain(await this.activeEditor.locator('.view-lines').innerText());
  }

  async waitForEditorText(what: string, test: (text: string) => boolean, timeoutMs = 30_000): Promise<string> {
    let last = '';
    try {
      return await waitFor(what, async () => {
        last = await this.editorText();
        return test(last) ? last : undefined;
      }, timeoutMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}; the editor shows:\n${last}`);
    }
  }

  /** Shows the hover at the cursor (the keyboard route to what the mouse shows) and returns its text. */
  async hoverText(mustInclude: string, timeoutMs = 20_000): Promise<string> {
    const hover = this.page.locator('.monaco-hover:not(.hidden)').first();
    let last = '';
    try {
      return await waitFor(`a hover containing "${mustInclude}"`, async () => {
        await this.pressEscape();
        await this.page.keyboard.press('Control+K');
        await this.page.keyboard.press('Control+I');
        await hover.waitFor({ state: 'visible', timeout: 3_000 });
        // Hover parts from slower providers arrive after the first paint: wait (bounded) for the text, not a fixed time.
        await hover.filter({ hasText: mustInclude }).waitFor({ state: 'visible', timeout: 3_000 }).catch(() => {});
        last = plain(await hover.innerText());
        return last.includes(mustInclude) ? last : undefined;
      }, timeoutMs, 500);
    } catch (err) {
      throw new Error(`${(err as Error).message}; the hover shows:\n${last || '(nothing)'}`);
    }
  }

  /**
   * Opens the quick fix menu at the cursor (Ctrl+.) and picks the first item whose text includes `title`; retried
   * while the item is not offered yet (e.g. the digest is still being resolved). Returns the item's text.
   */
  async applyQuickFix(title: string, onMenu?: () => Promise<void>, timeoutMs = 45_000): Promise<string> {
    const menu = this.page.locator('.action-widget:visible');
    let offered = '';
    try {
      return await waitFor(`a quick fix "${title}…"`, async () => {
        await this.pressEscape();
        await this.page.keyboard.press('Control+.');
        await menu.locator('.monaco-list-row').first().waitFor({ state: 'visible', timeout: 5_000 });
        offered = plain(await menu.innerText());
        const item = menu.locator('.monaco-list-row', { hasText: title }).first();
        if (!(await item.isVisible())) {
          await delay(1_000);
          return undefined;
        }
        const text = plain(await item.innerText());
        await item.hover();
        await onMenu?.();
        await item.click();
        await menu.waitFor({ state: 'hidden', timeout: 5_000 });
        return text;
      }, timeoutMs, 500);
    } catch (err) {
      throw new Error(`${(err as Error).message}; the quick fix menu offered:\n${offered || '(nothing)'}`);
    }
  }

  // ---- panels, views, status bar ------------------------------------------------------------------------------------

  /** Opens the Problems panel (Ctrl+Shift+M) and returns its rows' text once `test` accepts them. */
  async problems(what: string, test: (rows: string[]) => boolean, timeoutMs = 45_000): Promise<string[]> {
    const panel = this.page.locator('.markers-panel');
    if (!(await panel.isVisible())) {
      await retry('opening the Problems panel', 3, async () => {
        await this.page.keyboard.press('Control+Shift+M');
        await panel.waitFor({ state: 'visible', timeout: 5_000 });
      }, () => this.pressEscape());
    }
    let last: string[] = [];
    try {
      return await waitFor(what, async () => {
        last = (await panel.locator('.monaco-list-row').allInnerTexts()).map(plain);
        return test(last) ? last : undefined;
      }, timeoutMs, 500);
    } catch (err) {
      throw new Error(`${(err as Error).message}; Problems lists:\n${last.join('\n') || '(nothing)'}`);
    }
  }

  /** Clicks the activity bar entry `title` and returns the side bar's rows once `test` accepts them. */
  async openView(title: string, what: string, test: (rows: string[]) => boolean, timeoutMs = 30_000): Promise<string[]> {
    const sidebar = this.page.locator('.part.sidebar');
    await retry(`opening the "${title}" view from the activity bar`, 3, async () => {
      const entry = this.page.locator(`.part.activitybar .action-item [aria-label^="${title}"], .part.activitybar .action-item[aria-label^="${title}"]`).first();
      await entry.waitFor({ state: 'visible', timeout: 10_000 });
      if (!(await sidebar.locator('.composite.title', { hasText: new RegExp(title, 'i') }).isVisible())) await entry.click();
      await sidebar.locator('.composite.title', { hasText: new RegExp(title, 'i') }).waitFor({ state: 'visible', timeout: 5_000 });
    });
    return this.sidebarRows(what, test, timeoutMs);
  }

  /**
   * Expands the first side bar tree row showing `rowText` (clicking its twistie: clicking the row itself would run
   * the row's command) and returns the rows once `test` accepts them. An expanded row stays as it is.
   */
  async expandViewRow(rowText: string, what: string, test: (rows: string[]) => boolean, timeoutMs = 30_000): Promise<string[]> {
    const row = this.page.locator('.part.sidebar .monaco-list-row', { hasText: rowText }).first();
    await retry(`expanding the tree row "${rowText}"`, 3, async () => {
      await row.waitFor({ state: 'visible', timeout: 10_000 });
      const expanded = await row.getAttribute('aria-expanded');
      if (expanded === null) throw new Error(`the row "${rowText}" has nothing to expand`);
      if (expanded !== 'true') await row.locator('.monaco-tl-twistie').click();
      await this.page.locator('.part.sidebar .monaco-list-row[aria-expanded="true"]', { hasText: rowText }).first().waitFor({ state: 'visible', timeout: 5_000 });
    });
    return this.sidebarRows(what, test, timeoutMs);
  }

  /**
   * The side bar's rows once `test` accepts them. A tree row reads "label — description" (the DOM has them in
   * adjacent elements with no space between); other rows their text.
   */
  private async sidebarRows(what: string, test: (rows: string[]) => boolean, timeoutMs: number): Promise<string[]> {
    const sidebar = this.page.locator('.part.sidebar');
    let last: string[] = [];
    try {
      return await waitFor(what, async () => {
        // Runs in the page: no named helper functions in here (tsx's keepNames would reference its `__name`).
        last = (await sidebar.locator('.monaco-list-row').evaluateAll((rows) => rows.map((row) => {
          const label = row.querySelector('.label-name')?.textContent?.trim() ?? '';
          if (!label) return (row as unknown as { innerText: string }).innerText;
          const description = row.querySelector('.label-description')?.textContent?.trim() ?? '';
          return description ? `${label} — ${description}` : label;
        }))).map(plain);
        return test(last) ? last : undefined;
      }, timeoutMs, 500);
    } catch (err) {
      throw new Error(`${(err as Error).message}; the view shows:\n${last.join('\n') || '(nothing)'}`);
    }
  }

  /** The text of the status bar item matching `pattern`, once one does. */
  async statusBarItem(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const items = this.page.locator('#workbench\\.parts\\.statusbar .statusbar-item');
    let last: string[] = [];
    try {
      return await waitFor(`a status bar item matching ${pattern}`, async () => {
        last = (await items.allInnerTexts()).map((t) => plain(t).trim()).filter(Boolean);
        return last.find((t) => pattern.test(t));
      }, timeoutMs, 500);
    } catch (err) {
      throw new Error(`${(err as Error).message}; the status bar shows: ${last.join(' | ')}`);
    }
  }
}
