// The trust tree: workspace → file → image reference (→ digest, signatures, attestations as the server learns them).
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { TREE_REQUEST, type TreeFile, type TreeReference, type TreeResult } from '../../server/src/protocol';

type Node = { type: 'file'; file: TreeFile } | { type: 'ref'; ref: TreeReference };

const STATUS_ICON: Record<TreeReference['status'], vscode.ThemeIcon> = {
  pinned: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  unpinned: new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')),
  templated: new vscode.ThemeIcon('question'),
  invalid: new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground')),
};

export class TrustTreeProvider implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  problemsOnly = false;

  constructor(private readonly client: () => LanguageClient | undefined) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(node?: Node): Promise<Node[]> {
    const c = this.client();
    if (!c) return [];
    if (!node) {
      const tree = await c.sendRequest<TreeResult>(TREE_REQUEST);
      return tree.files
        .filter((f) => !this.problemsOnly || f.references.some((r) => r.findings.length))
        .map((file) => ({ type: 'file', file }));
    }
    if (node.type === 'file') {
      return node.file.references.filter((r) => !this.problemsOnly || r.findings.length).map((ref) => ({ type: 'ref', ref }));
    }
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.type === 'file') {
      const item = new vscode.TreeItem(vscode.Uri.parse(node.file.uri), vscode.TreeItemCollapsibleState.Expanded);
      item.description = node.file.kind;
      item.contextValue = 'imageTrust.file';
      return item;
    }
    const r = node.ref;
    const item = new vscode.TreeItem(r.familiar ?? r.reference, vscode.TreeItemCollapsibleState.None);
    item.iconPath = STATUS_ICON[r.status];
    item.description = r.digest ? r.digest.slice(0, 19) : r.tag ? `tag ${r.tag}` : r.status;
    item.tooltip = new vscode.MarkdownString(
      [`**${r.reference}** — ${r.status}`, ...r.findings.map((f) => `- ${f.message}`)].join('\n\n'),
    );
    item.contextValue = `imageTrust.ref.${r.status}`;
    item.command = {
      command: 'vscode.open',
      title: 'Reveal',
      arguments: [vscode.Uri.parse(r.uri), { selection: new vscode.Range(r.range.start.line, r.range.start.character, r.range.end.line, r.range.end.character) }],
    };
    return item;
  }
}
