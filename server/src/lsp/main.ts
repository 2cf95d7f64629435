// Image Trust language server: wires LSP messages to the core. Glue only.
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CodeActionKind, createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { diffWorkingTree, isReferenceChanged, referenceSite, repoRelativePath, type WorkingTreeDiff } from '../core/changes';
import { resolutionKey } from '../core/pinning';
import { admissionFacts } from '../core/facts';
import { assessFile, type AssessmentSettings } from '../core/assess';
import type { SeverityOverrides } from '../core/findings';
import type { ImageRef } from '../core/types';
import { BUSY_NOTIFICATION, DEFAULT_SETTINGS, SECTION, TREE_CHANGED_NOTIFICATION, TREE_REQUEST, type ImageTrustSettings, type TreeResult } from '../protocol';
import { codeActions, PIN_FILE_COMMAND, PIN_REFERENCE_COMMAND, PIN_WORKSPACE_COMMAND, REFRESH_COMMAND, UPDATE_WORKSPACE_COMMAND, VERIFY_COMMAND } from './codeActions';
import { UpdateCommands } from './updateCommands';
import { LOCK_FILE } from '../core/lock';
import { toDiagnostic } from './diagnostics';
import { DocumentAnalyses } from './documents';
import { HelmValues } from './helmValues';
import { renderHover } from './hover';
import { PinCommands } from './pinCommands';
import { INIT_POLICY_COMMAND, initPolicy } from './initPolicy';
import { PolicyState, policyPathFor } from './policyState';
import { ResolutionService } from './resolution';
import { AdmissionService } from './admission';
import { attestorActions } from './attestorActions';
import { buildTree, type BranchComparison } from './tree';

/** Short enough to feel immediate, long enough to skip work between keystrokes of a fast typist. */
const DEBOUNCE_MS = 40;

interface InitOptions {
  settings?: Partial<ImageTrustSettings>;
  /** Where the registry cache persists (the extension's global storage). */
  cacheDir?: string;
  /** VS Code workspace trust: untrusted → extraction and diagnostics only, no network, no credential helpers. */
  workspaceTrusted?: boolean;
}

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
let settings: ImageTrustSettings = { ...DEFAULT_SETTINGS };
let workspaceRoots: string[] = [];
let hasConfigurationCapability = false;
const rulesDocUri = pathToFileURL(join(__dirname, '..', 'docs', 'rules.md')).toString();
const analyses = new DocumentAnalyses(() => settings, () => workspaceRoots);
const helmValues = new HelmValues((uri) => documents.get(uri)?.getText());
const timers = new Map<string, NodeJS.Timeout>();
let resolutions: ResolutionService;
let initOptions: InitOptions | undefined;
const policy = new PolicyState(() => policyPathFor(workspaceRoots[0], settings.policyPath));
let pins: PinCommands;
let admission: AdmissionService;
/** Background work of several services (resolution and verification, admission) as one busy signal. */
const busySources = new Set<string>();
function setBusy(source: string, busy: boolean): void {
  const was = busySources.size > 0;
  if (busy) busySources.add(source);
  else busySources.delete(source);
  const now = busySources.size > 0;
  if (now !== was) void connection.sendNotification(BUSY_NOTIFICATION, { busy: now });
}
let updates: UpdateCommands;
/** Diagnostics wait for the client's settings once, so the first ones already honour them. */
let markSettingsReady: () => void = () => {};
const settingsReady = new Promise<void>((resolve) => {
  markSettingsReady = resolve;
});

connection.onInitialize((params) => {
  hasConfigurationCapability = !!params.capabilities.workspace?.configuration;
  workspaceRoots = (params.workspaceFolders ?? [])
    .filter((f) => f.uri.startsWith('file:'))
    .map((f) => decodeURIComponent(new URL(f.uri).pathname));
  const init = params.initializationOptions as InitOptions | undefined;
  initOptions = init;
  if (init?.settings) settings = { ...DEFAULT_SETTINGS, ...init.settings };
  resolutions = new ResolutionService(
    settings,
    {
      cacheDir: init?.cacheDir,
      trusted: init?.workspaceTrusted !== false,
      log: (m) => connection.console.log(m),
      policy: () => policy.current().result,
      relativePath,
      onBusy: (busy) => setBusy('resolution', busy),
      // The trust lock at the workspace root: pinned digests in it are verified from it, without the network.
      lockFile: () => (workspaceRoots[0] ? join(workspaceRoots[0], LOCK_FILE) : undefined),
    },
    (keys) => republishFor(keys),
  );
  admission = new AdmissionService({
    roots: () => workspaceRoots,
    openDocuments: () => documents.all().map((d) => ({ uri: d.uri, text: d.getText() })),
    registry: () => resolutions.registry,
    policy: () => policy.current(),
    resolution: (ref) => resolutions.get(ref),
    documentRefs: (uri) => analyses.get(uri)?.analysis?.refs ?? [],
    trusted: init?.workspaceTrusted !== false,
    onEvaluated: (uris) => {
      for (const uri of uris) {
        const d = documents.get(uri);
        if (d) publish(d);
      }
    },
    onBusy: (busy) => setBusy('admission', busy),
    ttlMs: () => settings.cacheTtlMinutes * 60_000,
    log: (m) => connection.console.log(m),
  });
  pins = new PinCommands(connection, documents, analyses, resolutions, () => workspaceRoots);
  updates = new UpdateCommands(connection, pins, resolutions, { policy: () => policy.current().result, settings: () => settings, relativePath, trusted: init?.workspaceTrusted !== false });
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, `${CodeActionKind.Source}.pinAll.imageTrust`] },
      hoverProvider: true,
      // Helm chart templates: from an image built of `.Values` to the values file entries it reads.
      definitionProvider: true,
      executeCommandProvider: { commands: [PIN_REFERENCE_COMMAND, PIN_FILE_COMMAND, PIN_WORKSPACE_COMMAND, REFRESH_COMMAND, VERIFY_COMMAND, INIT_POLICY_COMMAND, UPDATE_WORKSPACE_COMMAND] },
    },
    serverInfo: { name: 'Image Trust' },
  };
});

connection.onInitialized(async () => {
  if (hasConfigurationCapability) await refreshSettings();
  markSettingsReady();
});

async function refreshSettings(): Promise<void> {
  try {
    const fetched = (await connection.workspace.getConfiguration(SECTION)) as Partial<ImageTrustSettings> | null;
    settings = { ...DEFAULT_SETTINGS, ...(fetched ?? {}) };
  } catch {
    settings = { ...DEFAULT_SETTINGS };
  }
  resolutions.updateSettings(settings);
  policy.reloadFromDisk();
  void refreshBranchDiff();
  analyses.invalidateAll();
  for (const doc of documents.all()) publish(doc);
}

connection.onDidChangeConfiguration(async (change) => {
  if (hasConfigurationCapability) await refreshSettings();
  else {
    const s = (change.settings as Record<string, Partial<ImageTrustSettings>> | undefined)?.[SECTION];
    settings = { ...DEFAULT_SETTINGS, ...(s ?? {}) };
    analyses.invalidateAll();
    for (const doc of documents.all()) publish(doc);
  }
});

function publish(doc: TextDocument): void {
  void settingsReady.then(() => publishNow(doc));
}

function relativePath(uri: string): string {
  try {
    const p = fileURLToPath(uri);
    const root = workspaceRoots.find((r) => p.startsWith(`${r}/`));
    return root ? relative(root, p) : p;
  } catch {
    return uri;
  }
}

/** Severity settings: the editor's over the policy file's `severity:` block over the rule table. */
function assessmentSettings(): AssessmentSettings {
  return { severity: settings.severity as SeverityOverrides, policySeverity: policy.current().result.policy?.severity };
}

/** Every finding of a document: the one judgement of the core, over what the registry and the policy said so far. */
function findingsOf(uri: string, result: ReturnType<typeof analyses.analyze>) {
  const refs = result.analysis?.refs ?? [];
  const factsOf = (r: ImageRef) => ({ resolution: resolutions.get(r) ?? null, verification: resolutions.verification(uri, r) ?? null, admission: admissionOf(uri, result, r) ?? null });
  return assessFile({ refs, problems: result.analysis?.problems ?? [], fileFindings: result.findings, admissionProblems: admission.problems(uri) }, factsOf, assessmentSettings());
}

/** What the workspace's admission policies say about a reference of a Kubernetes document (undefined: not yet). */
function admissionOf(uri: string, result: ReturnType<typeof analyses.analyze>, ref: ImageRef) {
  return result.kind === 'kubernetes' ? admission.outcome(uri, result.version, result.lines.text, ref) : null;
}

function publishPolicyDocument(doc: TextDocument): void {
  const before = policy.current().result.hash;
  policy.reloadFromText(doc.getText());
  const f = policy.findings(assessmentSettings());
  const diagnostics = (f?.findings ?? []).map((x) => toDiagnostic(x, f!.lines, rulesDocUri));
  void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics });
  // Re-judge the other documents only when the policy changed (opening the file in force re-judges nothing).
  if (policy.current().result.hash === before) return;
  resolutions.clearVerifications();
  // Its trustedRoot is the Sigstore deployment admission assumes the cluster trusts.
  admission.invalidate();
  for (const other of documents.all()) if (other.uri !== doc.uri) publish(other);
}

function publishNow(doc: TextDocument): void {
  const current = documents.get(doc.uri);
  if (!current || current.version !== doc.version) return; // a newer version is on its way
  if (doc.uri === policy.uri) return publishPolicyDocument(doc);
  const result = analyses.analyze(doc.uri, doc.version, doc.getText());
  const refs = result.analysis?.refs ?? [];
  const diagnostics = findingsOf(doc.uri, result).map((f) => toDiagnostic(f, result.lines, rulesDocUri));
  resolutions.enqueue(doc.uri, refs);
  if (result.kind === 'kubernetes') admission.enqueue(doc.uri, result.version, result.lines.text, refs);
  void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics });
  void connection.sendNotification(TREE_CHANGED_NOTIFICATION, { uri: doc.uri });
}

function schedule(doc: TextDocument): void {
  clearTimeout(timers.get(doc.uri));
  timers.set(
    doc.uri,
    setTimeout(() => {
      timers.delete(doc.uri);
      const current = documents.get(doc.uri);
      if (current) publish(current);
    }, DEBOUNCE_MS),
  );
}

documents.onDidOpen((e) => {
  // A policy opened with unsaved text (an edit applied to a closed file): the policies changed.
  if (admission.documentOpened(e.document.uri, e.document.getText())) {
    for (const d of documents.all()) if (d.uri !== e.document.uri) publish(d);
  }
  publish(e.document);
});
documents.onDidChangeContent((e) => {
  // An edited admission policy (Kyverno, ClusterImagePolicy, their ConfigMaps and Secrets) re-judges every document.
  if (admission.isPolicySource(e.document.uri, e.document.getText())) {
    admission.invalidate();
    for (const d of documents.all()) if (d.uri !== e.document.uri) schedule(d);
  }
  schedule(e.document);
});
documents.onDidClose((e) => {
  admission.forgetDocument(e.document.uri);
  // Closed unsaved: the policy on disk counts again.
  if (admission.isPolicySource(e.document.uri, e.document.getText())) {
    admission.invalidate();
    for (const d of documents.all()) if (d.uri !== e.document.uri) publish(d);
  }
  clearTimeout(timers.get(e.document.uri));
  timers.delete(e.document.uri);
  analyses.forget(e.document.uri);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

/** Re-publish the open documents that hold any of the references just resolved. */
function republishFor(keys: Set<string>): void {
  for (const doc of documents.all()) {
    const a = analyses.get(doc.uri);
    if (a?.analysis?.refs.some((r) => r.parsed && keys.has(resolutionKey(r)))) publish(doc);
  }
}

connection.onHover((params) => {
  const doc = documents.get(params.textDocument.uri);
  if (!doc) return null;
  const a = analyses.analyze(doc.uri, doc.version, doc.getText());
  const offset = doc.offsetAt(params.position);
  const ref = a.analysis?.refs.find((r) => r.range.start <= offset && offset <= r.range.end);
  if (!ref) return null;
  const findings = findingsOf(doc.uri, a).filter((f) => f.range.start === ref.range.start && f.range.end === ref.range.end);
  const values = helmValues.supply(doc.uri, ref);
  const markdown = renderHover({
    ref,
    resolution: resolutions.get(ref),
    verification: ref.status === 'invalid' || ref.status === 'templated' ? null : resolutions.verification(doc.uri, ref),
    findings,
    rulesDocUri,
    offline: settings.offline,
    restricted: initOptions?.workspaceTrusted === false,
    values: values && { ...values, label: relativePath(values.uri) },
    update: resolutions.updateEvaluation(doc.uri, ref),
    lock: resolutions.lockState(doc.uri, ref),
    admission: admissionOf(doc.uri, a, ref),
    admissionPending: a.kind === 'kubernetes' && admission.active && initOptions?.workspaceTrusted !== false,
  });
  resolutions.enqueue(doc.uri, [ref]);
  return { contents: { kind: 'markdown', value: markdown }, range: a.lines.rangeOf(ref.range) };
});

// Go to Definition on a Helm template image: the values file entries it reads (the one under the cursor, when the
// cursor is on a `.Values.…` mention; else all of them).
connection.onDefinition((params) => {
  const doc = documents.get(params.textDocument.uri);
  if (!doc) return null;
  const a = analyses.analyze(doc.uri, doc.version, doc.getText());
  const offset = doc.offsetAt(params.position);
  const ref = a.analysis?.refs.find((r) => r.range.start <= offset && offset <= r.range.end);
  const linked = ref ? helmValues.supply(doc.uri, ref) : null;
  if (!linked) return null;
  const found = linked.supply.links.filter((l) => l.at);
  const under = found.filter((l) => l.mention.range.start <= offset && offset <= l.mention.range.end);
  return (under.length ? under : found).map((l) => ({ uri: linked.uri, range: linked.lines.rangeOf(l.at!) }));
});

connection.onDidChangeWatchedFiles((params) => {
  // Admission policies changed on disk (files not open in the editor): read them again, re-judge the open documents.
  const policyFiles = params.changes.filter((c) => /\.ya?ml$/i.test(c.uri) && !documents.get(c.uri) && c.uri !== policy.uri);
  if (policyFiles.some((c) => admission.diskFileChanged(c.uri))) for (const doc of documents.all()) publish(doc);
  if (params.changes.some((c) => c.uri === policy.uri) && !documents.get(policy.uri ?? '')) {
    policy.reloadFromDisk();
    resolutions.clearVerifications();
    admission.invalidate();
    for (const doc of documents.all()) publish(doc);
  } else if (params.changes.some((c) => c.uri.endsWith(`/${LOCK_FILE}`))) {
    // A new trust lock: verdicts are derived again, from it where it covers the digest.
    resolutions.clearVerifications();
    for (const doc of documents.all()) publish(doc);
  }
});

connection.onCodeAction(async (params) => {
  const doc = documents.get(params.textDocument.uri);
  if (!doc) return [];
  const a = analyses.analyze(doc.uri, doc.version, doc.getText());
  const actions = codeActions(params, doc, a, resolutions);
  // "Add an attestor for this signer": only where re-evaluation with the edited policy admits the image.
  const attestors = await attestorActions(params, doc, a, {
    admission,
    openDocument: (uri) => documents.get(uri),
    admissionOf: (ref) => admissionOf(doc.uri, a, ref),
    verificationOf: (ref) => resolutions.verification(doc.uri, ref),
    resolutionOf: (ref) => resolutions.get(ref),
    policy: () => policy.current(),
    registry: () => resolutions.registry,
    relativePath,
  }).catch((err) => {
    connection.console.log(`attestor actions failed: ${(err as Error).message}`);
    return [];
  });
  return [...actions, ...attestors];
});

connection.onExecuteCommand(async (params) => {
  const arg = params.arguments?.[0];
  switch (params.command) {
    case PIN_REFERENCE_COMMAND:
      return pins.pinReference(arg);
    case PIN_FILE_COMMAND:
      return pins.pinFile(arg);
    case PIN_WORKSPACE_COMMAND:
      return pins.pinWorkspace();
    case UPDATE_WORKSPACE_COMMAND:
      return updates.updateWorkspace();
    case REFRESH_COMMAND:
      resolutions.clear();
      admission.forgetDiscoveries();
      admission.invalidateDisk();
      policy.reloadFromDisk();
      for (const doc of documents.all()) publish(doc);
      return true;
    case INIT_POLICY_COMMAND:
      // A starter policy from the workspace's images (the client writes it, never over an existing policy).
      return initPolicy(arg ?? {}, {
        root: workspaceRoots[0],
        extraGlobs: settings.files,
        registry: resolutions.registry,
        registryUnavailable: initOptions?.workspaceTrusted === false
          ? 'Restricted Mode: registries are not contacted in an untrusted workspace'
          : settings.offline ? 'the imageTrust.offline setting is on' : null,
      });
    case VERIFY_COMMAND: {
      const doc = documents.get(arg?.uri);
      if (!doc) return false;
      const a = analyses.analyze(doc.uri, doc.version, doc.getText());
      const offset = doc.offsetAt(arg.position);
      const ref = a.analysis?.refs.find((r) => r.range.start <= offset && offset <= r.range.end);
      if (!ref) return false;
      resolutions.forget(doc.uri, ref);
      admission.forgetDiscoveries();
      resolutions.enqueue(doc.uri, [ref]);
      return true;
    }
    default:
      return null;
  }
});

// "Compare with branch": the working tree on disk against the merge base with the chosen ref (refreshed on save).
let branchDiff: { ref: string; diff: WorkingTreeDiff | null; error?: string } | null = null;
async function refreshBranchDiff(): Promise<void> {
  const ref = settings.compareWithBranch.trim();
  if (!ref || !workspaceRoots[0] || initOptions?.workspaceTrusted === false) {
    branchDiff = null;
    return;
  }
  try {
    branchDiff = { ref, diff: await diffWorkingTree(workspaceRoots[0], ref) };
  } catch (err) {
    branchDiff = { ref, diff: null, error: (err as Error).message };
  }
  void connection.sendNotification(TREE_CHANGED_NOTIFICATION, {});
}

const branch: BranchComparison = {
  get ref() {
    return branchDiff?.ref ?? null;
  },
  get error() {
    return branchDiff?.error;
  },
  changed(uri, ref, lines) {
    const diff = branchDiff?.diff;
    if (!diff) return null;
    let rel: string | null = null;
    try {
      rel = repoRelativePath(diff.repoRoot, fileURLToPath(uri));
    } catch {
      return null;
    }
    return rel === null ? null : isReferenceChanged(diff.files.get(rel), referenceSite(ref, lines));
  },
};

documents.onDidSave(() => void refreshBranchDiff());

connection.onRequest(TREE_REQUEST, (): TreeResult =>
  buildTree(analyses.all(), resolutions, (uri, a) => findingsOf(uri, a), branch, (d, ref) => {
    const outcome = admissionOf(d.uri, d, ref);
    return outcome ? { facts: admissionFacts(outcome, (abs) => relativePath(pathToFileURL(abs).toString())) } : outcome;
  }),
);

documents.listen(connection);
connection.listen();
