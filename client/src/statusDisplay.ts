// Status bar: "$(shield) 12 pinned · 3 tags · 1 unsigned"; click opens the trust tree; a spinner while working.
import * as vscode from 'vscode';
import type { TreeResult } from '../../server/src/protocol';

export function statusText(tree: TreeResult): string {
  let pinned = 0;
  let tags = 0;
  let unsigned = 0;
  let untrusted = 0;
  let invalid = 0;
  let denied = 0;
  for (const f of tree.files) {
    for (const r of f.references) {
      if (r.status === 'pinned') pinned++;
      else if (r.status === 'unpinned') tags++;
      // Denied at admission: a finding of the one judgement (admission-denied), as the diagnostics show it.
      if (r.findings.some((f) => f.code === 'admission-denied')) denied++;
      if (r.trust?.status === 'unsigned') unsigned++;
      else if (r.trust?.status === 'untrusted') untrusted++;
      else if (r.trust?.status === 'invalid') invalid++;
    }
  }
  const parts = [`${pinned} pinned`, `${tags} tag${tags === 1 ? '' : 's'}`];
  if (unsigned) parts.push(`${unsigned} unsigned`);
  if (untrusted) parts.push(`${untrusted} untrusted`);
  if (invalid) parts.push(`${invalid} invalid`);
  if (denied) parts.push(`${denied} denied at admission`);
  if (tree.compareWith) {
    const changed = tree.files.reduce((n, f) => n + f.references.filter((r) => r.changed).length, 0);
    parts.push(tree.compareError ? `compare failed` : `${changed} changed vs ${tree.compareWith}`);
  }
  return parts.join(' · ');
}

export class StatusDisplay implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('imageTrust.status', vscode.StatusBarAlignment.Left, 10);
  private text = 'Image Trust';
  constructor() {
    this.item.name = 'Image Trust';
    this.item.command = 'imageTrust.tree.focus';
    this.item.text = `$(shield) ${this.text}`;
    this.item.tooltip = 'Image Trust: image references in open files. Click to open the trust tree.';
    this.item.show();
  }
  private busy = false;
  private failure: string | undefined;
  working(on: boolean): void {
    this.busy = on;
    this.render();
  }
  update(tree: TreeResult): void {
    this.text = statusText(tree);
    this.render();
  }
  /** Error state: the reason in the tooltip, a click shows the output (where the details are logged). */
  failed(reason: string): void {
    this.failure = reason;
    this.item.command = { command: 'imageTrust.showOutput', title: 'Show Image Trust output' };
    this.item.tooltip = `Image Trust: ${reason}. Click to show the output.`;
    this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    this.render();
  }
  /** What the status bar shows now (text, tooltip), for tests. */
  get state(): { text: string; tooltip: string; error: boolean } {
    return { text: this.item.text, tooltip: String(this.item.tooltip ?? ''), error: this.failure !== undefined };
  }
  private render(): void {
    if (this.failure !== undefined) {
      this.item.text = '$(error) Image Trust';
      return;
    }
    this.item.text = `${this.busy ? '$(sync~spin)' : '$(shield)'} ${this.text}`;
  }
  dispose(): void {
    this.item.dispose();
  }
}
