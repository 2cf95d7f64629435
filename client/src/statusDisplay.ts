// Status bar: "$(shield) 12 pinned · 3 tags"; click opens the trust tree; a spinner while working.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { TREE_REQUEST, type TreeResult } from '../../server/src/protocol';

export class StatusDisplay implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('imageTrust.status', vscode.StatusBarAlignment.Left, 10);
  constructor() {
    this.item.name = 'Image Trust';
    this.item.command = 'imageTrust.tree.focus';
    this.item.text = '$(shield) Image Trust';
    this.item.show();
  }
  working(on: boolean): void {
    if (on) this.item.text = '$(sync~spin) Image Trust';
  }
  async update(client: LanguageClient): Promise<void> {
    const tree = await client.sendRequest<TreeResult>(TREE_REQUEST);
    let pinned = 0;
    let tags = 0;
    let other = 0;
    for (const f of tree.files) {
      for (const r of f.references) {
        if (r.status === 'pinned') pinned++;
        else if (r.status === 'unpinned') tags++;
        else other++;
      }
    }
    const parts = [`${pinned} pinned`, `${tags} tag${tags === 1 ? '' : 's'}`];
    if (other) parts.push(`${other} unchecked`);
    this.item.text = `$(shield) ${parts.join(' · ')}`;
    this.item.tooltip = 'Image Trust: image references in open files. Click to open the trust tree.';
  }
  dispose(): void {
    this.item.dispose();
  }
}
