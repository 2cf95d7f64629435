// The trust tree: workspace → file → image reference → digest → signatures / attestations / platforms, like
// `cosign tree` for one image, but for the whole workspace. Grouped by file or by image; optionally problems only.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { TREE_REQUEST, type TreeFile, type TreeReference, type TreeResult } from '../../server/src/protocol';
import { fullReference, referenceDescription, shortDigest, shortName } from './labels';

export type TreeNode =
  | { type: 'file'; id: string; file: TreeFile; refs: TreeReference[] }
  | { type: 'image'; id: string; name: string; refs: TreeReference[] }
  | { type: 'ref'; id: string; ref: TreeReference; showFile: boolean }
  | { type: 'digest'; id: string; ref: TreeReference }
  | { type: 'admission'; id: string; ref: TreeReference }
  | { type: 'leaf'; id: string; label: string; description?: string; tooltip?: string; icon: vscode.ThemeIcon; contextValue?: string };

const color = (id: string) => new vscode.ThemeColor(id);
const ICONS = {
  ok: new vscode.ThemeIcon('pass-filled', color('testing.iconPassed')),
  warn: new vscode.ThemeIcon('warning', color('list.warningForeground')),
  error: new vscode.ThemeIcon('error', color('list.errorForeground')),
  unknown: new vscode.ThemeIcon('question'),
  loading: new vscode.ThemeIcon('loading~spin'),
};

function refIcon(r: TreeReference): vscode.ThemeIcon {
  if (r.findings.some((f) => f.severity === 'error') || r.status === 'invalid' || r.trust?.status === 'invalid') return ICONS.error;
  if (r.findings.some((f) => f.severity === 'warning')) return ICONS.warn;
  if (r.status === 'templated') return ICONS.unknown;
  if (r.trust?.status === 'verified' && r.status === 'pinned') return ICONS.ok;
  if (r.status === 'pinned' && !r.trust) return ICONS.loading;
  return r.status === 'pinned' ? ICONS.ok : ICONS.warn;
}

type Admission = NonNullable<TreeReference['admission']>[number];

/** Whether the cluster would refuse the image for this result (Enforce/enforce, or no-match-policy deny). */
function isDenial(a: Admission): boolean {
  return a.result === 'denied' || (a.result === 'no-policy-matched' && /no-match-policy is deny/.test(a.message));
}

function admissionWord(a: Admission): string {
  if (isDenial(a)) return a.result === 'denied' ? 'denied' : 'denied (no policy matched)';
  return { admitted: 'admitted', audit: 'audit violation', error: 'error', 'not-evaluated': 'not evaluated', 'no-policy-matched': 'no policy matched' }[a.result] ?? a.result;
}

function admissionIcon(a: Admission): vscode.ThemeIcon {
  if (isDenial(a)) return ICONS.error;
  if (a.result === 'admitted') return ICONS.ok;
  if (a.result === 'audit' || a.result === 'no-policy-matched') return ICONS.warn;
  return ICONS.unknown;
}

function admissionSummary(list: Admission[] | null): string {
  if (list === null) return 'evaluating…';
  const denied = list.filter(isDenial).length;
  if (denied) return `denied by ${denied} of ${list.length} polic${list.length === 1 ? 'y' : 'ies'}`;
  if (list.every((a) => a.result === 'admitted')) return `admitted (${list.length} polic${list.length === 1 ? 'y' : 'ies'})`;
  return list.map(admissionWord).join(', ');
}

function statusIcon(status: string): vscode.ThemeIcon {
  return status === 'verified' ? ICONS.ok : status === 'invalid' ? ICONS.error : status === 'error' ? ICONS.unknown : ICONS.warn;
}


export class TrustTreeProvider implements vscode.TreeDataProvider<TreeNode> {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  problemsOnly = false;
  groupByImage = false;
  private data: TreeResult = { files: [], compareWith: null };

  constructor(private readonly client: () => LanguageClient | undefined) {}

  /** Fetch new data and refresh; node ids stay stable so VS Code keeps expanded nodes expanded. */
  async refresh(): Promise<void> {
    const c = this.client();
    if (c) this.data = await c.sendRequest<TreeResult>(TREE_REQUEST);
    this.changed.fire(undefined);
  }

  get current(): TreeResult {
    return this.data;
  }

  private keep(r: TreeReference): boolean {
    return !this.problemsOnly || r.findings.length > 0 || r.trust?.status === 'invalid';
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) {
      if (this.groupByImage) {
        const byName = new Map<string, TreeReference[]>();
        for (const f of this.data.files) for (const r of f.references.filter((x) => this.keep(x))) {
          const key = r.familiar ?? r.reference;
          byName.set(key, [...(byName.get(key) ?? []), r]);
        }
        return [...byName].sort(([a], [b]) => a.localeCompare(b)).map(([name, refs]) => ({ type: 'image', id: `image:${name}`, name, refs }));
      }
      return this.data.files
        .map((file) => ({ type: 'file' as const, id: `file:${file.uri}`, file, refs: file.references.filter((r) => this.keep(r)) }))
        .filter((n) => n.refs.length > 0);
    }
    switch (node.type) {
      case 'file':
        return node.refs.map((ref) => ({ type: 'ref', id: `ref:${ref.uri}:${ref.range.start.line}:${ref.range.start.character}`, ref, showFile: false }));
      case 'image':
        return node.refs.map((ref) => ({ type: 'ref', id: `iref:${ref.uri}:${ref.range.start.line}:${ref.range.start.character}`, ref, showFile: true }));
      case 'ref': {
        const d = node.ref.digest ?? node.ref.resolvedDigest;
        const out: TreeNode[] = d ? [{ type: 'digest', id: `${node.id}:digest`, ref: node.ref }] : [];
        if (node.ref.admission === null || node.ref.admission?.length) out.push({ type: 'admission', id: `${node.id}:admission`, ref: node.ref });
        return out;
      }
      case 'digest':
        return this.digestChildren(node);
      case 'admission':
        return (node.ref.admission ?? []).map((a, i) => ({
          type: 'leaf',
          id: `${node.id}:${i}`,
          label: `${a.engine === 'kyverno' ? 'Kyverno' : 'policy-controller'} ${a.policy}${a.rule ? ` · ${a.rule}` : ''}`,
          description: admissionWord(a),
          tooltip: [a.message, a.reason ? `Reason: ${a.reason}` : '', a.expected ? `Expected: ${a.expected}` : '', a.observed ? `Observed: ${a.observed}` : '', a.rewrite ? `Admission rewrites this to ${a.rewrite}` : '', a.policyFile ? `Policy file: ${a.policyFile}` : ''].filter(Boolean).join('\n'),
          icon: admissionIcon(a),
          contextValue: `imageTrust.admission.${a.result}`,
        }));
      default:
        return [];
    }
  }

  private digestChildren(node: Extract<TreeNode, { type: 'digest' }>): TreeNode[] {
    const r = node.ref;
    const out: TreeNode[] = [];
    r.signatures.forEach((s, i) =>
      out.push({ type: 'leaf', id: `${node.id}:sig:${i}`, label: `${s.type} signature`, description: `${s.status}${s.signer ? ` · ${s.signer}` : ''}`, tooltip: `${s.reason}\nFound in: ${s.foundIn}${s.issuer ? `\nIssuer: ${s.issuer}` : ''}`, icon: statusIcon(s.status) }),
    );
    r.attestations.forEach((a, i) =>
      out.push({ type: 'leaf', id: `${node.id}:att:${i}`, label: a.title, description: a.status, tooltip: a.summary ?? a.predicateType, icon: statusIcon(a.status) }),
    );
    if (r.trust && r.signatures.length === 0) out.push({ type: 'leaf', id: `${node.id}:none`, label: 'No signatures', description: r.trust.status, tooltip: r.trust.reason, icon: statusIcon(r.trust.status) });
    if (!r.trust) out.push({ type: 'leaf', id: `${node.id}:pending`, label: 'Signatures', description: 'checking…', icon: ICONS.loading });
    r.platforms.forEach((p, i) =>
      out.push({ type: 'leaf', id: `${node.id}:plat:${i}`, label: `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`, description: shortDigest(p.digest), tooltip: p.digest, icon: new vscode.ThemeIcon('vm'), contextValue: 'imageTrust.platform' }),
    );
    if (r.policy?.rule) out.push({ type: 'leaf', id: `${node.id}:policy`, label: `Policy rule "${r.policy.rule}"`, description: r.policy.mode ?? '', tooltip: r.policy.exception?.message ?? r.policy.error ?? undefined, icon: new vscode.ThemeIcon('law'), contextValue: 'imageTrust.policyRule' });
    return out;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    switch (node.type) {
      case 'file': {
        const item = new vscode.TreeItem(vscode.Uri.parse(node.file.uri), vscode.TreeItemCollapsibleState.Expanded);
        item.id = node.id;
        item.description = `${node.file.kind} · ${node.refs.length}`;
        item.contextValue = 'imageTrust.file';
        return item;
      }
      case 'image': {
        const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon('package');
        item.description = `${node.refs.length} reference(s)`;
        return item;
      }
      case 'ref': {
        const r = node.ref;
        const hasChildren = !!(r.digest ?? r.resolvedDigest) || r.admission === null || !!r.admission?.length;
        // Label: the short image name (`web:1.0`); description: registry / digest; tooltip: the full reference.
        const item = new vscode.TreeItem(shortName(r), hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.iconPath = refIcon(r);
        const where = node.showFile ? `${vscode.workspace.asRelativePath(vscode.Uri.parse(r.uri))}:${r.range.start.line + 1} · ` : '';
        const changed = r.changed ? `changed vs ${this.data.compareWith} · ` : '';
        item.description = `${changed}${where}${referenceDescription(r)}`;
        const tooltip = new vscode.MarkdownString();
        tooltip.appendCodeblock(fullReference(r), 'text');
        tooltip.appendMarkdown([r.summary, ...r.findings.map((f) => `- ${f.message}`)].join('\n\n'));
        item.tooltip = tooltip;
        item.contextValue = `imageTrust.ref.${r.status}`;
        item.command = {
          command: 'vscode.open',
          title: 'Reveal',
          arguments: [vscode.Uri.parse(r.uri), { selection: new vscode.Range(r.range.start.line, r.range.start.character, r.range.end.line, r.range.end.character) }],
        };
        return item;
      }
      case 'digest': {
        const d = node.ref.digest ?? node.ref.resolvedDigest!;
        const item = new vscode.TreeItem(shortDigest(d), vscode.TreeItemCollapsibleState.Expanded);
        item.id = node.id;
        item.description = node.ref.digest ? 'pinned' : `tag ${node.ref.tag ?? 'latest'} now`;
        item.tooltip = d;
        item.iconPath = new vscode.ThemeIcon('symbol-key');
        item.contextValue = 'imageTrust.digest';
        return item;
      }
      case 'admission': {
        const list = node.ref.admission;
        const item = new vscode.TreeItem('Admission', list?.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = admissionSummary(list);
        item.tooltip = "What the workspace's Kyverno and policy-controller policies would decide for this image (a preview: the cluster decides).";
        item.iconPath = list === null ? ICONS.loading : list.some(isDenial) ? ICONS.error : list.every((a) => a.result === 'admitted') ? ICONS.ok : list.some((a) => a.result === 'audit' || a.result === 'no-policy-matched') ? ICONS.warn : ICONS.unknown;
        item.contextValue = 'imageTrust.admission';
        return item;
      }
      case 'leaf': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = node.description;
        item.tooltip = node.tooltip;
        item.iconPath = node.icon;
        item.contextValue = node.contextValue;
        return item;
      }
    }
  }
}
