// `image-trust init` and the editor's "Create Trust Policy from Workspace": a starter `.image-trust.yaml` written
// from the images a workspace uses. One rule per repository seen, all in `audit` (nothing fails until someone
// decides to enforce), `requireDigest: true` where every reference to the repository is already pinned, and — when
// signatures were checked — the keyless signer identities seen on signatures that verified cryptographically,
// proposed as commented `signers:` for a person to review. The text must load under core/policy without a
// diagnostic (tested). Shared by the CLI and the language server; no I/O besides the registry reader given.
import { loadPolicy, type PolicyLoadResult } from './policy';
import { resolveMany, resolutionKey } from './pinning';
import type { RegistryClient } from './registry';
import type { Resolution } from './resolve';
import type { ImageRef } from './types';
import { verifyReference, type ReferenceVerification } from './verification';

/** A keyless identity that signed an image, verified against the trusted root (Fulcio chain, log entry). */
export interface ObservedSigner {
  issuer: string;
  subject: string;
}

/** What `--verify` saw per repository (canonical name). */
export interface SignerObservations {
  signers: Map<string, ObservedSigner[]>;
  /** Repositories with signatures no keyless identity explains (a key signature, Notation, a broken one). */
  otherSignatures: Map<string, string[]>;
  /** Repositories whose signatures could not be looked at (no digest, registry error). */
  unchecked: Map<string, string>;
}

export interface StarterPolicyOptions {
  /** `trustedRoot:` to write (relative to the policy file), for a private Sigstore deployment. */
  trustedRoot?: string;
  /** With `--verify`: what the signatures said. */
  observations?: SignerObservations;
  /** Where the references came from, for the header (e.g. "12 files"). */
  source?: string;
}

interface RepositoryUse {
  name: string;
  total: number;
  pinned: number;
}

/** A YAML double-quoted scalar (JSON strings are valid YAML): names with `:` or `[` stay literal. */
const q = (s: string) => JSON.stringify(s);

/** Every parsed reference grouped by canonical repository name, sorted by name. */
export function repositoriesOf(refs: ImageRef[]): RepositoryUse[] {
  const byName = new Map<string, RepositoryUse>();
  for (const r of refs) {
    if (!r.parsed || r.status === 'invalid' || r.status === 'templated') continue;
    const use = byName.get(r.parsed.name) ?? { name: r.parsed.name, total: 0, pinned: 0 };
    use.total++;
    if (r.status === 'pinned') use.pinned++;
    byName.set(r.parsed.name, use);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function signerLines(name: string, observations: SignerObservations | undefined): string[] {
  if (!observations) return [];
  const out: string[] = [];
  const signers = observations.signers.get(name) ?? [];
  if (signers.length) {
    out.push('    # Signer identities seen on verified keyless signatures of this image. Review them, then uncomment', '    # (and consider mode: enforce):');
    out.push('    # signers:');
    for (const s of signers) out.push('    #   - keyless:', `    #       issuer: ${q(s.issuer)}`, `    #       subject: ${q(s.subject)}`);
  }
  for (const note of observations.otherSignatures.get(name) ?? []) out.push(`    # ${note}`);
  const unchecked = observations.unchecked.get(name);
  if (unchecked) out.push(`    # Signatures not checked: ${unchecked.replace(/\s+/g, ' ')}`);
  if (!signers.length && !observations.otherSignatures.has(name) && !unchecked) out.push('    # No signature found on this image.');
  return out;
}

/** The starter policy text. */
export function starterPolicy(refs: ImageRef[], opts: StarterPolicyOptions = {}): string {
  const repos = repositoriesOf(refs);
  const skipped = refs.filter((r) => r.status === 'templated' || r.status === 'invalid' || !r.parsed).length;
  const total = repos.reduce((n, r) => n + r.total, 0);
  const out = [
    '# Image Trust policy — a starter written by `image-trust init` from the images this workspace uses',
    `# (${total} reference(s) to ${repos.length} repositor${repos.length === 1 ? 'y' : 'ies'}${opts.source ? ` in ${opts.source}` : ''}${skipped ? `; ${skipped} templated or invalid reference(s) left out` : ''}).`,
    '# Every rule is in audit mode: findings are warnings and nothing fails until you set `mode: enforce`.',
    '# requireDigest is true where every reference to the image is already pinned by digest.',
    '# Reference: https://github.com/image-trust/image-trust/blob/main/docs/policy.md',
    'version: 1',
  ];
  if (opts.trustedRoot) out.push(`trustedRoot: ${q(opts.trustedRoot)}`);
  if (repos.length === 0) {
    out.push('# No image reference was found: add rules as images appear (image-trust init is only for a start).', 'rules: []');
  } else {
    out.push('rules:');
    for (const r of repos) {
      const all = r.pinned === r.total;
      out.push(
        `  - name: ${q(r.name)}`,
        `    match: ${q(r.name)}`,
        '    mode: audit',
        all
          ? `    requireDigest: true    # all ${r.total} reference(s) are pinned by digest`
          : `    requireDigest: false   # ${r.pinned} of ${r.total} reference(s) pinned: pin the rest (image-trust pin), then set true`,
        ...signerLines(r.name, opts.observations),
      );
    }
  }
  out.push(
    '# Exceptions let a known image pass for a while; all four keys are required:',
    'exceptions: []',
    '#  - image: registry.example.com/team/legacy@sha256:…',
    '#    reason: vendor image, unsigned until Q3',
    '#    owner: team-platform',
    '#    expires: 2026-12-31',
  );
  return `${out.join('\n')}\n`;
}

/** A policy that trusts any subject of the given OIDC issuers: it tells which keyless signatures verify at all. */
function observationPolicy(issuers: string[], trustedRoot: string | undefined): string {
  return [
    'version: 1',
    ...(trustedRoot ? [`trustedRoot: ${q(trustedRoot)}`] : []),
    'rules:',
    '  - name: observe',
    '    match: "**"',
    '    mode: audit',
    ...(issuers.length ? ['    signers:', ...issuers.map((i) => `      - keyless: { issuer: ${q(i)}, subjectRegExp: ".*" }`)] : []),
    '',
  ].join('\n');
}

export interface ObserveOptions {
  now?: Date;
  /** Absolute path the policy will be written to (relative `trustedRoot` resolves from its folder). */
  policyPath: string;
  trustedRoot?: string;
  readFile: (path: string) => string;
  onProgress?: (done: number, total: number, what: string) => void;
  signal?: AbortSignal;
}

/**
 * Looks at the signatures of every image: first under no signers (which issuers do signatures claim?), then under a
 * policy trusting any subject of those issuers, so only signatures whose certificate chains to the trusted root and
 * whose log entry verifies yield an identity. A claimed identity that does not verify is never proposed.
 */
export async function observeSigners(reader: RegistryClient, refs: ImageRef[], opts: ObserveOptions): Promise<SignerObservations> {
  const now = opts.now ?? new Date();
  const parsed = refs.filter((r) => r.parsed && r.status !== 'invalid' && r.status !== 'templated');
  const resolutions = await resolveMany(reader, parsed, { signal: opts.signal, onProgress: (d, t) => opts.onProgress?.(d, t, 'resolving') });
  const resolutionOf = (r: ImageRef): Resolution | null => resolutions.get(resolutionKey(r)) ?? null;
  // One reference per repository and digest is enough.
  const distinct = new Map<string, ImageRef>();
  for (const r of parsed) distinct.set(`${r.parsed!.name}@${r.parsed!.digest ?? resolutionOf(r)?.tagDigest ?? ''}`, r);
  const verifyAll = async (policy: PolicyLoadResult, what: string) => {
    const out = new Map<ImageRef, ReferenceVerification | null>();
    let done = 0;
    for (const r of distinct.values()) {
      out.set(r, await verifyReference(reader, r, resolutionOf(r), policy, { now, signal: opts.signal }));
      opts.onProgress?.(++done, distinct.size, what);
    }
    return out;
  };
  const load = (text: string) => loadPolicy(text, { policyPath: opts.policyPath, readFile: opts.readFile });
  const first = await verifyAll(load(observationPolicy([], opts.trustedRoot)), 'looking for signatures');
  const issuers = [...new Set([...first.values()].flatMap((v) => v?.trust?.signatures.flatMap((s) => (s.issuer ? [s.issuer] : [])) ?? []))].sort();
  const observe = load(observationPolicy(issuers, opts.trustedRoot));
  if (observe.broken) throw new Error(`cannot check signatures: ${observe.diagnostics.map((d) => d.message).join('; ')}`);
  const second = issuers.length ? await verifyAll(observe, 'verifying signatures') : first;

  const result: SignerObservations = { signers: new Map(), otherSignatures: new Map(), unchecked: new Map() };
  const add = <T>(map: Map<string, T[]>, name: string, value: T, same: (a: T, b: T) => boolean) => {
    const list = map.get(name) ?? [];
    if (!list.some((x) => same(x, value))) list.push(value);
    map.set(name, list);
  };
  for (const [ref, v] of second) {
    const name = ref.parsed!.name;
    if (!v?.trust) {
      const reason = resolutionOf(ref)?.error?.message ?? (v?.digest ? 'not verified' : 'no digest: the registry did not say what the tag points to');
      result.unchecked.set(name, reason);
      continue;
    }
    for (const s of v.trust.signatures) {
      if (s.status === 'verified' && s.identity?.kind === 'keyless') {
        add(result.signers, name, { issuer: s.identity.issuer, subject: s.identity.subject }, (a, b) => a.issuer === b.issuer && a.subject === b.subject);
      } else {
        const who = s.signer ? ` claiming ${s.signer}` : '';
        add(result.otherSignatures, name, `A ${s.type} signature${who} was found but not verified (${s.status}): add its signer by hand once you know it (a key: \`- key: <public key file>\`).`, (a, b) => a === b);
      }
    }
    if (v.trust.status === 'error' && v.trust.signatures.length === 0) result.unchecked.set(name, v.trust.reason);
  }
  return result;
}
