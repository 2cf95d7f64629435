// Hover on an image reference: the first three lines answer "can I trust this?", the rest gives the details.
// Shows what is known at once; background resolution/verification fill it in on the next hover.
import { updateTitle, type UpdateEvaluation } from '../core/update';
import type { LockState } from './resolution';
import type { Finding } from '../core/findings';
import type { ValuesSupply } from '../core/helm-links';
import type { LineIndex } from '../core/positions';
import { platformLabel, type Resolution } from '../core/resolve';
import { familiarName } from '../core/reference';
import type { ImageRef } from '../core/types';
import type { ReferenceVerification } from '../core/verification';
import { admissionSource } from '../core/admission/findings';
import type { AdmissionOutcome, AdmissionResult } from '../core/admission/types';

const ICON = { ok: '✅', warn: '⚠️', bad: '❌', unknown: '❔', busy: '⏳' } as const;

function short(d: string): string {
  return `${d.slice(0, 19)}…`;
}

function age(ms: number): string {
  if (ms < 60_000) return 'just now';
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h ago`;
  return `${Math.round(ms / 86_400_000)} days ago`;
}

function code(s: string): string {
  return `\`${s.replace(/`/g, "'")}\``;
}

export interface HoverInput {
  ref: ImageRef;
  resolution: Resolution | undefined;
  /** undefined: not checked yet; null: nothing to verify (templated/invalid). */
  verification: ReferenceVerification | null | undefined;
  findings: Finding[];
  rulesDocUri: string;
  offline: boolean;
  /** VS Code Restricted Mode (untrusted workspace): no registry is asked. */
  restricted: boolean;
  /** Helm chart templates: what the chart's values file supplies for the reference (`label` is its path to show). */
  values?: { uri: string; label: string; lines: LineIndex; supply: ValuesSupply } | null;
  /** A moved pin: the trust-gated update judgement (undefined: not judged yet). */
  update?: UpdateEvaluation;
  /** Whether the verification came from the trust lock (`.image-trust.lock`), or why the lock was not used. */
  lock?: LockState;
  /**
   * What the workspace's admission policies decide (issue 11): undefined while being evaluated, null when they do not
   * apply (no policies, not a Kubernetes workload).
   */
  admission?: AdmissionOutcome | null;
  /** The workspace has admission policies and this reference's outcome is on its way. */
  admissionPending?: boolean;
}

const ADMISSION_WORDS: Record<AdmissionResult['result'], string> = {
  admitted: `${ICON.ok} admitted`,
  denied: `${ICON.bad} **denied**`,
  audit: `${ICON.warn} **audit violation**`,
  error: `${ICON.unknown} **error**`,
  'not-evaluated': `${ICON.unknown} **not evaluated**`,
  'no-policy-matched': `${ICON.warn} **no policy matched**`,
};

/** One line among the first ones: what the cluster's admission would do, when a policy says no (details below). */
function admissionLine(i: HoverInput): string {
  const rs = i.admission?.results ?? [];
  const denied = rs.filter((r) => r.result === 'denied' || (r.result === 'no-policy-matched' && /no-match-policy is deny/.test(r.message)));
  if (denied.length) return `${ICON.bad} Admission: **denied** by ${denied.map(admissionSource).join('; ')}`;
  const other = rs.filter((r) => r.result !== 'admitted');
  if (other.length) return `${ICON.warn} Admission: ${other.map((r) => `${r.result === 'no-policy-matched' ? 'no policy matched' : r.result === 'not-evaluated' ? 'not evaluated' : r.result} (${admissionSource(r)})`).join('; ')}`;
  return rs.length ? `${ICON.ok} Admission: admitted by ${rs.length} polic${rs.length === 1 ? 'y' : 'ies'}` : '';
}

/** The "Admission" section: per policy, engine, policy and rule, the result, and why (expected vs observed). */
function admissionDetails(i: HoverInput): string[] {
  const a = i.admission;
  if (a === null) return [];
  if (a === undefined) return i.admissionPending ? [`${ICON.busy} **Admission**: evaluating the workspace's admission policies…`] : [];
  if (a.results.length === 0) return ['**Admission**: no admission policy of the workspace covers this image'];
  const out = ['**Admission** (the workspace\'s admission policies; the cluster decides):'];
  for (const r of a.results) {
    const word = r.result === 'no-policy-matched' && /no-match-policy is deny/.test(r.message) ? `${ICON.bad} **denied** (no policy matched)` : ADMISSION_WORDS[r.result];
    out.push(`- ${word} by ${admissionSource(r)}: ${r.message}${r.reason ? ` (${code(r.reason)})` : ''}`);
    if (r.expected) out.push(`  - expected: ${code(r.expected)}`);
    if (r.observed) out.push(`  - observed: ${code(r.observed)}`);
    if (r.rewrite) out.push(`  - admission rewrites this to ${code(r.rewrite)}`);
  }
  return [out.join('\n')];
}

function lockNote(i: HoverInput): string {
  const l = i.lock;
  if (!l) return '';
  if (l.state === 'locked') return ` (${i.verification?.trust?.status === 'verified' ? 'verified' : 'checked'} from lock, made ${l.lockedAt.slice(0, 16).replace('T', ' ')} UTC)`;
  if (l.state === 'policy-changed') return ` (the trust lock was not used: ${l.detail}; run image-trust lock)`;
  return ` (the trust lock was not used: ${l.detail})`;
}

/** For a moved pin: the update the quick fix offers, or why it is withheld. */
function updateLine(i: HoverInput): string {
  if (!i.resolution?.drift || i.ref.status !== 'pinned') return '';
  const u = i.update;
  if (!u) return notAsked(i) ? `Update: not checked (${i.restricted ? 'Restricted Mode' : 'offline'})` : `${ICON.busy} Update: checking the new digest (signer, age, policy)…`;
  if (u.state === 'failed') return `${ICON.unknown} Update: could not be checked — ${u.reason}`;
  if (u.state !== 'candidate') return '';
  if (u.decision === 'accepted' && u.to) return `${ICON.ok} **${updateTitle(u)}** to ${code(short(u.to))} is available as a quick fix: ${u.reasons.join('; ')}`;
  return `${ICON.warn} **Update withheld**${u.to ? ` (${code(short(u.to))})` : ''}: ${u.reasons.join('; ')}`;
}

/** The reference as people read it: the familiar name, with a digest shortened so the line does not wrap. */
function displayName(ref: ImageRef): string {
  const p = ref.parsed;
  if (!p) return ref.reference;
  const base = familiarName(p.name) + (p.tag ? `:${p.tag}` : '');
  return p.digest ? `${base}@${short(p.digest)}` : base;
}

function notAsked(i: HoverInput): string | null {
  if (i.restricted) return 'Restricted Mode: the registry is not asked (trust the workspace to check it)';
  if (i.offline) return 'offline: the registry is not asked';
  return null;
}

function headline(i: HoverInput): string {
  const { ref, verification: v } = i;
  const name = code(displayName(ref));
  if (ref.status === 'invalid') return `${ICON.bad} ${name} — **invalid reference**: ${ref.error}`;
  if (ref.status === 'templated') return `${ICON.unknown} ${name} — **templated**: the final value is decided at deploy/build time`;
  const trust = v?.trust?.status;
  const pinned = ref.status === 'pinned';
  if (v?.policy.error) return `${ICON.bad} ${name} — **not verified**: ${v.policy.error}`;
  if (trust === 'verified' && pinned) return `${ICON.ok} ${name} — **pinned and verified**`;
  if (trust === 'verified') return `${ICON.warn} ${name} — **signed, but not pinned**: the tag can move away from the verified digest`;
  if (trust === 'invalid') return `${ICON.bad} ${name} — **invalid signature**`;
  if (!pinned) return `${ICON.warn} ${name} — **not pinned**: the tag ${code(ref.parsed?.tag ?? 'latest')} can point to other bytes tomorrow`;
  if (i.resolution?.drift) return `${ICON.warn} ${name} — **pinned; the tag has moved** since`;
  if (trust === 'unsigned') return `${ICON.warn} ${name} — **pinned, unsigned**`;
  const trustedSignature = v?.trust?.signatures.some((x) => x.status === 'verified') ?? false;
  if ((trust === 'untrusted' || trust === 'error') && trustedSignature) return `${ICON.warn} ${name} — **pinned and signed; a required attestation is not verified**`;
  if (trust === 'untrusted') return `${ICON.warn} ${name} — **pinned; no trusted signature**`;
  if (trust === 'error') return `${ICON.unknown} ${name} — **pinned; signatures could not be checked**`;
  return `${ICON.ok} ${name} — **pinned by digest**`;
}

function digestLine(i: HoverInput): string {
  const { ref, resolution: r } = i;
  const p = ref.parsed;
  if (!p) return '';
  const parts: string[] = [];
  if (p.digest) parts.push(`Pinned to ${code(short(p.digest))}`);
  if (r?.error) parts.push(r.error.code === 'OFFLINE' && notAsked(i) ? notAsked(i)! : `registry: ${r.error.message}`);
  else if (r?.tagDigest) {
    const tag = p.tag ?? 'latest';
    parts.push(`tag ${code(tag)} → ${code(short(r.tagDigest))} (${r.fromCache ? `cached, ${age(r.cacheAgeMs)}` : 'checked just now'})`);
  } else if (!p.digest || p.tag) parts.push(notAsked(i) ?? `${ICON.busy} asking the registry…`);
  return parts.join(' · ');
}

function signatureLine(i: HoverInput): string {
  const v = i.verification;
  if (v === undefined) return notAsked(i) ? `Signatures: not checked (${i.restricted ? 'Restricted Mode' : 'offline'})` : `${ICON.busy} Signatures: checking…`;
  if (v === null) return 'Signatures: nothing to check';
  if (v.policy.error) return `Signatures: ${v.policy.error}`;
  if (!v.trust) return `Signatures: not checked — ${v.digest ? 'policy mode off' : notAsked(i) ? `the digest is unknown (${i.restricted ? 'Restricted Mode' : 'offline'})` : 'the digest is unknown'}`;
  const t = v.trust;
  const icon = t.status === 'verified' ? ICON.ok : t.status === 'invalid' ? ICON.bad : t.status === 'error' ? ICON.unknown : ICON.warn;
  const cached = v.cacheAgeMs !== undefined ? ` (cached result, ${age(v.cacheAgeMs)})` : '';
  return `${icon} Signatures: **${t.status}** — ${t.reason}${cached}${lockNote(i)}`;
}

const STATUS_WORDS: Record<string, string> = {
  pinned: `${ICON.ok} pinned by digest`,
  unpinned: `${ICON.warn} **not pinned by digest**`,
  templated: `${ICON.unknown} still templated`,
  invalid: `${ICON.bad} **not a valid reference**`,
};

/** The line that says what the chart's values supply (for a templated Helm template reference). */
function valuesLine(i: HoverInput): string {
  const supply = i.values?.supply;
  if (!supply) return '';
  if (supply.rendered) return `With ${i.values!.label} it renders as ${code(supply.rendered.reference)} — ${STATUS_WORDS[supply.rendered.status]}`;
  const blocks = supply.links.filter((l) => l.block);
  if (blocks.length === 1) return `${i.values!.label} supplies the image block ${code(blocks[0].block!.reference)} — ${STATUS_WORDS[blocks[0].block!.status]}`;
  return `Reads ${supply.links.map((l) => code(`.Values.${l.mention.path}`)).join(', ')} from ${i.values!.label}`;
}

function valuesDetails(i: HoverInput): string[] {
  const v = i.values;
  if (!v) return [];
  const out = [`**Values** (${v.label}; *Go to Definition* jumps there):`];
  for (const l of v.supply.links) {
    const where = l.at ? ` — [line ${v.lines.positionAt(l.at.start).line + 1}](${v.uri}#L${v.lines.positionAt(l.at.start).line + 1})` : ' — not set in the values file';
    const what = l.block ? `image block ${code(l.block.reference)} (${STATUS_WORDS[l.block.status]})` : l.value !== undefined ? code(l.value === '' ? '""' : l.value) : l.at ? 'a mapping' : '';
    out.push(`- ${code(`.Values.${l.mention.path}`)}${what ? ` = ${what}` : ''}${where}`);
  }
  return out;
}

export function renderHover(i: HoverInput): string {
  const { ref, resolution: r, verification: v } = i;
  const lines = [headline(i), ref.status === 'templated' ? valuesLine(i) : digestLine(i), signatureLine(i), admissionLine(i), updateLine(i)].filter(Boolean).map((l) => `${l}  `);
  const details: string[] = [];
  if (ref.parsed) {
    const short = familiarName(ref.parsed.name);
    details.push(`**Image** ${code(ref.parsed.name)}${short !== ref.parsed.name ? ` (${code(short)})` : ''}`);
  }
  if (ref.context) details.push(`**Found in** ${ref.context}`);
  if (ref.lenient) {
    details.push(
      `${ICON.warn} **Read leniently**: this YAML document has a syntax error that Image Trust's parser refuses (kubectl may still accept it), so this reference was found by reading the document line by line. Fix the syntax so that every tool reads the same image.`,
    );
  }
  details.push(...valuesDetails(i));
  if (r?.platforms.length) {
    details.push(`**Platforms** (tag is a multi-platform index):`);
    for (const p of r.platforms) details.push(`- ${platformLabel(p)} ${code(short(p.digest))}${r.pinnedPlatform?.digest === p.digest ? ' ← pinned' : ''}`);
  }
  for (const s of v?.trust?.signatures ?? []) {
    const icon = s.status === 'verified' ? ICON.ok : s.status === 'invalid' ? ICON.bad : s.status === 'error' ? ICON.unknown : ICON.warn;
    const who = [s.signer, s.issuer && `issuer ${s.issuer}`].filter(Boolean).join(', ');
    const log = s.logIndex !== undefined ? `, Rekor #${s.logIndex}${s.integratedTime ? ` at ${new Date(s.integratedTime * 1000).toISOString().slice(0, 19)}Z` : ''}` : '';
    details.push(`- ${icon} ${s.type} signature (${s.foundIn})${who ? ` by ${who}` : ''}${log}: ${s.reason}`);
  }
  for (const a of v?.trust?.attestations ?? []) {
    const icon = a.status === 'verified' ? ICON.ok : a.status === 'invalid' ? ICON.bad : ICON.warn;
    details.push(`- ${icon} ${a.summary?.title ?? a.predicateType} — ${a.status}${a.summary ? `: ${a.summary.summary}` : ''}`);
  }
  if (v?.policy.rule) {
    details.push(`**Policy** rule ${code(v.policy.rule)} (${v.policy.mode})`);
    const e = v.policy.exception;
    if (e) details.push(e.active ? `**Exception** by ${e.owner}: ${e.reason} — ${e.daysLeft} day(s) left` : `${ICON.warn} ${e.message}`);
  }
  details.push(...admissionDetails(i));
  const next = i.findings.map((f) => `- [${f.code}](${i.rulesDocUri}#${f.code}): ${f.message}`);
  return [
    lines.join('\n'),
    details.length ? `\n---\n${details.join('\n\n')}` : '',
    next.length ? `\n---\n**What to do**\n\n${next.join('\n')}` : '',
  ].join('\n');
}
