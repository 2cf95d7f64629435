// Admission preview in the editor (issue 11): the workspace's Kyverno and policy-controller policies (read from disk
// once, open documents live), evaluated per image reference of open Kubernetes documents in the background, off the
// typing path. Glue over core/admission: the judgement (findings) stays in core/assess, which the server feeds with
// `outcome()` as ReferenceFacts.admission, exactly as `scan --admission` does.
import { fileURLToPath } from 'node:url';
import { admissionTrustMaterial, evaluateAdmission, type AdmissionEnv } from '../core/admission/evaluate';
import { emptyPolicySet, mayHoldAdmissionPolicies, readAdmissionPolicies } from '../core/admission/read';
import { ManifestResources } from '../core/admission/resource';
import type { AdmissionOutcome, AdmissionPolicySet, PolicyProblem, ResourceInfo } from '../core/admission/types';
import { resolutionKey } from '../core/pinning';
import type { LoadedPolicyFile } from '../core/policy-file';
import type { RegistryClient } from '../core/registry';
import type { Resolution } from '../core/resolve';
import type { DiscoveryResult } from '../core/trust';
import type { ImageRef } from '../core/types';
import { readTextFile, walk } from '../core/workspace';

const BACKGROUND_DELAY_MS = 60;

export interface AdmissionDeps {
  roots: () => string[];
  /** Open documents (their unsaved text is what counts). */
  openDocuments: () => { uri: string; text: string }[];
  registry: () => RegistryClient;
  policy: () => LoadedPolicyFile;
  resolution: (ref: ImageRef) => Resolution | undefined;
  /** The references of an open document (its analysis). */
  documentRefs: (uri: string) => readonly ImageRef[];
  /** Restricted Mode: no registry, so no admission evaluation. */
  trusted: boolean;
  /** Evaluations finished for these documents: re-publish them. */
  onEvaluated: (uris: Set<string>) => void;
  onBusy: (busy: boolean) => void;
  /** How long discovered signatures are reused (the registry cache's tag TTL). */
  ttlMs: () => number;
  log: (message: string) => void;
}

function fsPath(uri: string): string | null {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : null;
  } catch {
    return null;
  }
}

function resourceKey(r: ResourceInfo | null): string {
  return r ? JSON.stringify([r.apiVersion, r.kind, r.name, r.namespace, r.labels, r.annotations]) : '';
}

export class AdmissionService {
  /** Disk texts of the workspace's YAML files that may hold admission policies (absolute paths), read once. */
  private disk: Map<string, string> | null = null;
  private set: AdmissionPolicySet | null = null;
  private readonly outcomes = new Map<string, AdmissionOutcome | null>();
  private readonly resources = new Map<string, { version: number; resources: ManifestResources }>();
  private pending = new Map<string, { uri: string; version: number; text: string; refs: ImageRef[] }>();
  private timer: NodeJS.Timeout | undefined;
  private discoveries = new Map<string, Promise<DiscoveryResult>>();
  private discoveredAt = Date.now();
  private running = false;

  constructor(private readonly deps: AdmissionDeps) {}

  /** Reads the workspace's policy files from disk (first use, and when a file on disk changed). */
  private readDisk(): Map<string, string> {
    if (this.disk) return this.disk;
    const disk = new Map<string, string>();
    const roots = this.deps.roots();
    if (roots.length && this.deps.trusted) {
      try {
        for (const f of walk(roots).files) if (f.kind === 'kubernetes' && mayHoldAdmissionPolicies(f.text)) disk.set(f.absPath, f.text);
      } catch (err) {
        this.deps.log(`admission policies: the workspace could not be read (${(err as Error).message}); only open documents are read`);
      }
    }
    this.disk = disk;
    return disk;
  }

  /** The texts the policies are read from: the workspace's files, each open one as it is in the editor. */
  private policyTexts(): Map<string, string> {
    const texts = new Map(this.readDisk());
    for (const d of this.deps.openDocuments()) {
      const p = fsPath(d.uri);
      if (!p || !/\.ya?ml$/i.test(p)) continue;
      if (mayHoldAdmissionPolicies(d.text)) texts.set(p, d.text);
      else texts.delete(p);
    }
    return texts;
  }

  /** The policies in force. */
  policies(): AdmissionPolicySet {
    if (this.set) return this.set;
    if (!this.deps.trusted) return (this.set = emptyPolicySet());
    this.set = readAdmissionPolicies([...this.policyTexts()].map(([file, text]) => ({ file, text })));
    return this.set;
  }

  /** The text a policy file was read from (its ranges are offsets into it), or undefined. */
  policyText(file: string): string | undefined {
    return this.policyTexts().get(file);
  }

  /**
   * What admission would decide for one reference if the policy file `file` read `text` instead: for offering an
   * edit only when it really changes the outcome. Uses the signatures already found (no new registry work).
   */
  async simulate(uri: string, version: number, docText: string, ref: ImageRef, file: string, text: string): Promise<AdmissionOutcome | null> {
    const texts = this.policyTexts();
    texts.set(file, text);
    const set = readAdmissionPolicies([...texts].map(([f, t]) => ({ file: f, text: t })));
    const resources = this.resourcesOf(uri, version, docText);
    const env: AdmissionEnv = { reader: this.deps.registry(), material: admissionTrustMaterial(this.deps.policy().result.policy), now: new Date(), discoveries: this.discoveries, digestOf: this.digestOf(uri) };
    return evaluateAdmission(ref, resources.at(ref.range.start), set, this.deps.resolution(ref) ?? null, env, resources.objectAt(ref.range.start)).catch(() => null);
  }

  /** Digests of the tags written in a document (their resolutions so far), for the other images of a resource. */
  private digestOf(uri: string): (image: string) => string | null {
    const refs = this.deps.documentRefs(uri);
    return (image) => {
      for (const r of refs) {
        if (r.reference !== image) continue;
        const d = r.parsed?.digest ?? this.deps.resolution(r)?.tagDigest;
        if (d) return d;
      }
      return null;
    };
  }

  /** Whether the workspace holds any admission policy (else nothing is evaluated and nothing is shown). */
  get active(): boolean {
    const s = this.policies();
    return s.kyverno.length > 0 || s.policyController.length > 0 || s.imageValidating.length > 0 || s.notEvaluated.length > 0;
  }

  /** The problems of the policies in the file at `uri` (malformed, not evaluated). */
  problems(uri: string): PolicyProblem[] {
    const p = fsPath(uri);
    return p ? this.policies().problems.filter((x) => x.site.file === p) : [];
  }

  /** Whether the policy files are the source of the admission facts of `text` (a change there re-evaluates all). */
  isPolicySource(uri: string, text: string | undefined): boolean {
    const p = fsPath(uri);
    if (!p) return false;
    return (text !== undefined && mayHoldAdmissionPolicies(text)) || this.policies().files.includes(p) || (this.disk?.has(p) ?? false);
  }

  /** Policies changed (an open policy document was edited): forget every outcome. */
  invalidate(): void {
    this.set = null;
    this.outcomes.clear();
  }

  /** A file changed on disk: read the workspace again. */
  invalidateDisk(): void {
    this.disk = null;
    this.invalidate();
  }

  /** A document was opened: true (and the policies are read again) when its text changes what the policies say. */
  documentOpened(uri: string, text: string): boolean {
    const p = fsPath(uri);
    if (!p || !/\.ya?ml$/i.test(p) || !this.set) return false;
    const onDisk = this.readDisk().get(p);
    if (onDisk === text || (onDisk === undefined && !mayHoldAdmissionPolicies(text))) return false;
    this.invalidate();
    return true;
  }

  /** A YAML file changed on disk (not open): true (and the policies are read again) when it holds or held policies. */
  diskFileChanged(uri: string): boolean {
    const p = fsPath(uri);
    if (!p || !this.disk) return false;
    let text: string | undefined;
    try {
      const read = readTextFile(p);
      text = 'text' in read ? read.text : undefined;
    } catch {
      text = undefined;
    }
    const holds = text !== undefined && mayHoldAdmissionPolicies(text);
    if (!holds && !this.disk.has(p)) return false;
    if (holds) this.disk.set(p, text!);
    else this.disk.delete(p);
    this.invalidate();
    return true;
  }

  /** Re-verify / Refresh: signatures are searched again. */
  forgetDiscoveries(): void {
    this.discoveries = new Map();
    this.discoveredAt = Date.now();
    this.outcomes.clear();
  }

  private resourcesOf(uri: string, version: number, text: string): ManifestResources {
    const c = this.resources.get(uri);
    if (c && c.version === version) return c.resources;
    const resources = new ManifestResources(text);
    this.resources.set(uri, { version, resources });
    return resources;
  }

  private key(uri: string, ref: ImageRef, resource: ResourceInfo | null): string {
    return `${uri}\0${resolutionKey(ref)}\0${this.deps.resolution(ref)?.tagDigest ?? ''}\0${resourceKey(resource)}`;
  }

  /**
   * The admission outcome of a reference of a Kubernetes document: undefined while it is being evaluated (or waits
   * for its tag's digest), null when admission does not apply (no policies, not a workload image).
   */
  outcome(uri: string, version: number, text: string, ref: ImageRef): AdmissionOutcome | null | undefined {
    // Restricted Mode asks no registry: no admission preview (the hover says the registry is not asked).
    if (!this.deps.trusted || !ref.parsed || ref.status === 'invalid' || ref.status === 'templated') return null;
    if (!this.active) return null;
    const resource = this.resourcesOf(uri, version, text).at(ref.range.start);
    if (!resource) return null;
    return this.outcomes.get(this.key(uri, ref, resource));
  }

  /** Queue the references of a Kubernetes document whose outcome is not known yet (never blocks the caller). */
  enqueue(uri: string, version: number, text: string, refs: readonly ImageRef[]): void {
    if (!this.deps.trusted || !this.active) return;
    const wanted = refs.filter((r) => this.outcome(uri, version, text, r) === undefined && r.parsed && r.status !== 'invalid' && r.status !== 'templated');
    // A tag is evaluated once its digest is known (or its resolution failed): the resolution service asks for it.
    const known = (r: ImageRef) => !r.parsed || !!r.parsed.digest || r.status === 'invalid' || r.status === 'templated' || this.deps.resolution(r) !== undefined;
    // ImageValidatingPolicies see every image of a resource: wait until the document's tags are all resolved.
    const ready = this.policies().imageValidating.length && !refs.every(known) ? [] : wanted.filter(known);
    if (ready.length === 0) return;
    const wasIdle = this.pending.size === 0 && !this.running;
    this.pending.set(uri, { uri, version, text, refs: ready });
    if (wasIdle) this.deps.onBusy(true);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.drain(), BACKGROUND_DELAY_MS);
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const done = new Set<string>();
    try {
      while (this.pending.size) {
        const batch = [...this.pending.values()];
        this.pending.clear();
        if (Date.now() - this.discoveredAt > this.deps.ttlMs()) this.forgetDiscoveries();
        const set = this.policies();
        const material = admissionTrustMaterial(this.deps.policy().result.policy);
        for (const item of batch) {
          const env: AdmissionEnv = { reader: this.deps.registry(), material, now: new Date(), discoveries: this.discoveries, digestOf: this.digestOf(item.uri) };
          const resources = this.resourcesOf(item.uri, item.version, item.text);
          for (const ref of item.refs) {
            const resource = resources.at(ref.range.start);
            const key = this.key(item.uri, ref, resource);
            if (this.outcomes.has(key)) continue;
            const outcome = await evaluateAdmission(ref, resource, set, this.deps.resolution(ref) ?? null, env, resources.objectAt(ref.range.start)).catch((err) => {
              this.deps.log(`admission evaluation failed for ${ref.reference}: ${(err as Error).message}`);
              return null;
            });
            // Policies changed while this ran: the answer is for the old ones, drop it (the next publish asks again).
            if (this.set !== set) continue;
            this.outcomes.set(key, outcome);
            done.add(item.uri);
          }
        }
      }
      await this.deps.registry().flush().catch(() => {});
    } finally {
      this.running = false;
      if (done.size) this.deps.onEvaluated(done);
      // After the re-publication above queued what it needs (synchronously), so busy:false comes after all of it.
      if (this.pending.size === 0) this.deps.onBusy(false);
      else this.timer = setTimeout(() => void this.drain(), BACKGROUND_DELAY_MS);
    }
  }

  forgetDocument(uri: string): void {
    this.resources.delete(uri);
    this.pending.delete(uri);
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
