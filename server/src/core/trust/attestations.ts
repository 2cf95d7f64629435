// Recognizes attestation predicates and summarizes them for humans: provenance, SBOMs, vulnerability scans, VEX.

import { COSIGN_SIGN_PREDICATE, isRecord } from './statement';

export type PredicateKind =
  | 'slsa-provenance-v0.2'
  | 'slsa-provenance-v1'
  | 'spdx'
  | 'cyclonedx'
  | 'vulnerability-scan'
  | 'openvex'
  | 'cosign-signature'
  | 'custom'
  | 'unknown';

export interface AttestationSummary {
  kind: PredicateKind;
  /** The predicate type in words, e.g. "SLSA provenance v1". */
  title: string;
  /** One line for humans, e.g. "SLSA provenance v1: built by https://github.com/… from github.com/o/r@abc123 (push)". */
  summary: string;
  fields: AttestationFields;
}

export interface AttestationFields {
  builderId?: string;
  buildType?: string;
  sourceRepository?: string;
  sourceCommit?: string;
  buildTrigger?: string;
  /** Provenance: when the build finished (SLSA v1 runDetails.metadata.finishedOn, v0.2 metadata.buildFinishedOn), as written. */
  buildFinishedOn?: string;
  sbomFormat?: string;
  packageCount?: number;
  /** SBOM: the packages (SPDX `packages`, CycloneDX top-level `components`), at most MAX_PACKAGES of them. */
  packages?: SbomPackage[];
  /** SBOM: true when the document lists more than MAX_PACKAGES packages (only the first ones are in `packages`). */
  packagesTruncated?: boolean;
  scanner?: string;
  scannerVersion?: string;
  vulnerabilityCount?: number;
  vexStatementCount?: number;
}

export interface SbomPackage {
  name: string;
  /** Absent when the SBOM gives none. */
  version?: string;
}

/** Packages kept per SBOM (a diff of two SBOMs longer than this is marked incomplete). */
export const MAX_PACKAGES = 20_000;

type Summarizer = (predicate: Record<string, unknown>) => Omit<AttestationSummary, 'kind' | 'title'> & { title?: string };

interface PredicateRule {
  matches: (type: string) => boolean;
  kind: PredicateKind;
  title: string;
  summarize: Summarizer;
}

const RULES: PredicateRule[] = [
  { matches: (t) => t === 'https://slsa.dev/provenance/v0.2', kind: 'slsa-provenance-v0.2', title: 'SLSA provenance v0.2', summarize: slsaV02 },
  { matches: (t) => t === 'https://slsa.dev/provenance/v1', kind: 'slsa-provenance-v1', title: 'SLSA provenance v1', summarize: slsaV1 },
  { matches: (t) => t.startsWith('https://spdx.dev/Document'), kind: 'spdx', title: 'SPDX SBOM', summarize: spdx },
  { matches: (t) => t.startsWith('https://cyclonedx.org/bom'), kind: 'cyclonedx', title: 'CycloneDX SBOM', summarize: cyclonedx },
  { matches: (t) => t === 'https://cosign.sigstore.dev/attestation/vuln/v1', kind: 'vulnerability-scan', title: 'Vulnerability scan (cosign)', summarize: cosignVuln },
  { matches: (t) => t.startsWith('https://in-toto.io/attestation/vulns'), kind: 'vulnerability-scan', title: 'Vulnerability scan (in-toto)', summarize: inTotoVulns },
  { matches: (t) => t.startsWith('https://openvex.dev/ns'), kind: 'openvex', title: 'OpenVEX', summarize: openVex },
  { matches: (t) => t === COSIGN_SIGN_PREDICATE, kind: 'cosign-signature', title: 'Cosign image signature', summarize: () => ({ summary: 'Cosign image signature', fields: {} }) },
  { matches: (t) => t === 'https://cosign.sigstore.dev/attestation/v1', kind: 'custom', title: 'Custom cosign predicate', summarize: () => ({ summary: 'Custom cosign predicate', fields: {} }) },
];

export function describePredicateType(predicateType: string): string {
  return RULES.find((r) => r.matches(predicateType))?.title ?? predicateType;
}

export function summarizeAttestation(predicateType: string, predicate: unknown): AttestationSummary {
  const rule = RULES.find((r) => r.matches(predicateType));
  if (!rule) return { kind: 'unknown', title: predicateType, summary: `Attestation of type ${predicateType}`, fields: {} };
  const body = isRecord(predicate) ? predicate : {};
  const { title, summary, fields } = rule.summarize(body);
  return { kind: rule.kind, title: title ?? rule.title, summary, fields };
}

function slsaV02(p: Record<string, unknown>) {
  const invocation = rec(p.invocation);
  const configSource = rec(invocation.configSource);
  const environment = rec(invocation.environment);
  const fields: AttestationFields = {
    builderId: str(rec(p.builder).id),
    buildType: str(p.buildType),
    sourceRepository: str(configSource.uri),
    sourceCommit: str(rec(configSource.digest).sha1) ?? str(rec(configSource.digest).gitCommit),
    buildTrigger: str(environment.github_event_name),
    buildFinishedOn: str(rec(p.metadata).buildFinishedOn),
  };
  return { summary: provenanceLine('SLSA provenance v0.2', fields), fields };
}

function slsaV1(p: Record<string, unknown>) {
  const definition = rec(p.buildDefinition);
  const external = rec(definition.externalParameters);
  const workflow = rec(external.workflow);
  const internalGithub = rec(rec(definition.internalParameters).github);
  const firstDependency = rec(arr(definition.resolvedDependencies)[0]);
  const depDigest = rec(firstDependency.digest);
  const fields: AttestationFields = {
    builderId: str(rec(rec(p.runDetails).builder).id),
    buildType: str(definition.buildType),
    sourceRepository: str(workflow.repository) ?? str(firstDependency.uri) ?? str(external.source),
    sourceCommit: str(depDigest.gitCommit) ?? str(depDigest.sha1),
    buildTrigger: str(internalGithub.event_name) ?? str(external.trigger),
    buildFinishedOn: str(rec(rec(p.runDetails).metadata).finishedOn),
  };
  return { summary: provenanceLine('SLSA provenance v1', fields), fields };
}

function provenanceLine(title: string, f: AttestationFields): string {
  const parts = [`${title}: built by ${f.builderId ?? 'an unnamed builder'}`];
  if (f.sourceRepository) parts.push(`from ${f.sourceRepository}${f.sourceCommit ? `@${f.sourceCommit.slice(0, 12)}` : ''}`);
  if (f.buildTrigger) parts.push(`(trigger: ${f.buildTrigger})`);
  return parts.join(' ');
}

/** Name and version of each listed package; entries without a name are skipped. */
function packageList(items: unknown[], name: (r: Record<string, unknown>) => string | undefined, version: (r: Record<string, unknown>) => string | undefined): Pick<AttestationFields, 'packages' | 'packagesTruncated'> {
  const packages: SbomPackage[] = [];
  for (const item of items.slice(0, MAX_PACKAGES)) {
    const r = rec(item);
    const n = name(r);
    if (n === undefined) continue;
    const v = version(r);
    packages.push(v === undefined ? { name: n } : { name: n, version: v });
  }
  return items.length > MAX_PACKAGES ? { packages, packagesTruncated: true } : { packages };
}

function spdx(p: Record<string, unknown>) {
  const fields: AttestationFields = {
    sbomFormat: str(p.spdxVersion) ?? 'SPDX',
    packageCount: arr(p.packages).length,
    ...packageList(arr(p.packages), (r) => str(r.name), (r) => str(r.versionInfo)),
  };
  return { summary: `SBOM (${fields.sbomFormat}): ${fields.packageCount} package(s)`, fields };
}

function cyclonedx(p: Record<string, unknown>) {
  const version = str(p.specVersion);
  const fields: AttestationFields = {
    sbomFormat: `CycloneDX${version ? ` ${version}` : ''}`,
    packageCount: arr(p.components).length,
    ...packageList(arr(p.components), (r) => (str(r.name) ? `${str(r.group) ? `${str(r.group)}/` : ''}${str(r.name)}` : undefined), (r) => str(r.version)),
  };
  return { summary: `SBOM (${fields.sbomFormat}): ${fields.packageCount} component(s)`, fields };
}

function cosignVuln(p: Record<string, unknown>) {
  const scanner = rec(p.scanner);
  const result = rec(scanner.result);
  // Trivy JSON: Results[].Vulnerabilities[]; SARIF: runs[].results[].
  const trivy = arr(result.Results).flatMap((r) => arr(rec(r).Vulnerabilities));
  const sarif = arr(result.runs).flatMap((r) => arr(rec(r).results));
  const known = Array.isArray(result.Results) || Array.isArray(result.runs);
  return scanSummary(str(scanner.uri), str(scanner.version), known ? trivy.length + sarif.length : undefined);
}

function inTotoVulns(p: Record<string, unknown>) {
  const scanner = rec(p.scanner);
  const result = scanner.result;
  return scanSummary(str(scanner.uri), str(scanner.version), Array.isArray(result) ? result.length : undefined);
}

function scanSummary(uri: string | undefined, version: string | undefined, count: number | undefined) {
  const fields: AttestationFields = { scanner: uri, scannerVersion: version, vulnerabilityCount: count };
  const by = uri ? ` by ${uri}${version ? ` ${version}` : ''}` : '';
  const found = count === undefined ? '' : `: ${count} finding(s)`;
  return { summary: `Vulnerability scan${by}${found}`, fields };
}

function openVex(p: Record<string, unknown>) {
  const statements = arr(p.statements);
  const byStatus = new Map<string, number>();
  for (const s of statements) {
    const status = str(rec(s).status) ?? 'unknown';
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  }
  const detail = [...byStatus].map(([status, n]) => `${n} ${status}`).join(', ');
  return { summary: `OpenVEX: ${statements.length} statement(s)${detail ? ` (${detail})` : ''}`, fields: { vexStatementCount: statements.length } };
}

function rec(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
