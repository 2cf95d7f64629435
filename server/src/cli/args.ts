// Command-line parsing for `image-trust`. Usage errors are ImageTrustError('USAGE') → exit 2.
import { parseArgs } from 'node:util';
import { ImageTrustError } from '../core/errors';
import { parseSeverityOverrides, type SeverityOverrides } from '../core/rules';
import { FILE_KINDS, type FileKind } from '../core/types';
import { parseMinAge } from '../core/update';

export const USAGE = `Usage: image-trust <command> [options] [paths…]

Commands:
  scan [paths…]   find image references and report tags that are not pinned by digest
  pin [paths…]    rewrite files so every tag reference is pinned to its current digest
  tree [paths…]   show every image with its digest, signatures and attestations
  init [paths…]   write a starter .image-trust.yaml from the images the workspace uses (never overwrites)
  update [paths…] move tag@digest pins whose tag moved, only to candidates that verify, by the same signer
  lock [paths…]   write .image-trust.lock: what verified for every pinned digest, to verify offline (scan --locked)

Options (scan):
  --format text|json|sarif|markdown|codequality
                              output format (default text; markdown is a pull-request review comment;
                              codequality is a GitLab Code Quality report)
  --fail-on error|warning|info|never
                              exit 1 when a finding at or above this severity exists (default warning)
  --severity RULE=LEVEL       severity of a rule: error, warning, information, hint or off (repeatable; overrides
                              the policy file's severity: block; rules: docs/rules.md)
  --kind KIND                 treat every given file as KIND (kubernetes, dockerfile, helm-values, helm-template,
                              compose, kustomize, github-actions, gitlab-ci, devcontainer)
  --changed-since REF         report only references the working tree adds or changes relative to the merge
                              base of REF and HEAD (pre-merge gate; needs git)
  --resolve                   ask registries what each tag points to now (drift, digest not found)
  --verify                    verify signatures and attestations under the trust policy
  --admission                 evaluate the Kyverno and Sigstore policy-controller admission policies found among
                              the scanned files for every image of a Kubernetes manifest (implies --resolve)
  --policy FILE               trust policy (default: .image-trust.yaml in the current folder)
  --offline                   never touch the network: answers come from the cache only
  --cache-dir DIR             where resolved digests and manifests are cached (default ~/.cache/image-trust)
  --insecure-registry HOST    reach HOST (host:port) over plain HTTP (repeatable; loopback hosts always are)
  --ca-file FILE              extra PEM CA certificates for registry TLS
  --locked                    verify from .image-trust.lock only: no registry, no network (implies --verify)
  --lock FILE                 the trust lock (default: .image-trust.lock in the current folder)
Options (pin):
  --dry-run                   show what would change, write nothing
  --platform os/arch[/variant]  pin the digest of one platform instead of the multi-platform index
Options (update): --dry-run, --format text|json|markdown (markdown: a pull-request body), --policy, --cache-dir,
  --min-age DURATION          refuse candidates younger than this (30m, 12h, 7d, 2w); an unknown age is refused
  --allow-signer-change       accept a candidate signed by another trusted signer (or a pin with no verified signer)
Options (lock): --policy, --lock FILE, --cache-dir,
  --check                     write nothing; exit 1 when the lock is stale (other policy, pins not in it, not canonical)
Options (tree): --format text|json, and --policy, --offline, --cache-dir, --insecure-registry, --ca-file as for scan
Options (init):
  --verify                    also verify signatures and propose the signer identities seen on verifiable ones
                              (commented, for review); --offline, --cache-dir, --insecure-registry, --ca-file apply
  --policy FILE               where to write the policy (default .image-trust.yaml); an existing file is never
                              overwritten
  --trusted-root FILE         a Sigstore trusted_root.json (private Sigstore): written as trustedRoot, used by --verify
  -h, --help, --version`;

export type Format = 'text' | 'json' | 'sarif' | 'markdown' | 'codequality';
export type FailOn = 'error' | 'warning' | 'info' | 'never';

export interface CliOptions {
  command: 'scan' | 'pin' | 'tree' | 'update' | 'lock' | 'init' | 'help' | 'version';
  /** `image-trust <command> --help` / `image-trust help <command>`: the command to explain. */
  helpTopic?: string;
  /** `init --trusted-root FILE`: a Sigstore trusted root for the policy's `trustedRoot:`. */
  trustedRoot?: string;
  paths: string[];
  format: Format;
  failOn: FailOn;
  kind?: FileKind;
  resolve: boolean;
  verify: boolean;
  /** `--admission`: evaluate the workspace's admission policies (Kyverno, policy-controller) per image. */
  admission: boolean;
  offline: boolean;
  dryRun: boolean;
  platform?: string;
  policy?: string;
  cacheDir?: string;
  insecureRegistries: string[];
  caFile?: string;
  /** `--changed-since REF`: report only what changed relative to the merge base of REF and HEAD. */
  changedSince?: string;
  /** `--severity rule=level` (repeatable; a later one for the same rule wins); `{}` when not given. */
  severity: SeverityOverrides;
  /** `update --min-age`: as written (`7d`) and in milliseconds. */
  minAge?: { text: string; ms: number };
  /** `update --allow-signer-change`. */
  allowSignerChange: boolean;
  /** `scan --locked`: verify from the trust lock only (no registry). */
  locked: boolean;
  /** `--lock FILE`: the trust lock (default `.image-trust.lock` in the current folder). */
  lockFile?: string;
  /** `lock --check`. */
  check: boolean;
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ImageTrustError('USAGE', `--${name} must be one of ${allowed.join(', ')} (got "${value}")`);
  }
  return value as T;
}

/** `--severity rule=level`, repeatable: the same validation (and messages) as the editor setting and the policy file. */
function parseSeverityFlags(flags: string[]): SeverityOverrides {
  const pairs = flags.map((flag): [string, string] => {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new ImageTrustError('USAGE', `--severity needs RULE=LEVEL, e.g. --severity templated=off (got "${flag}")`);
    return [flag.slice(0, eq).trim(), flag.slice(eq + 1).trim()];
  });
  const { overrides, errors } = parseSeverityOverrides(pairs);
  if (errors.length > 0) throw new ImageTrustError('USAGE', `--severity: ${errors.map((e) => e.message).join('; ')}`);
  return overrides;
}

/** `--min-age 7d`: minutes, hours, days or weeks (`0`: no minimum). */
function parseMinAgeFlag(value: string | undefined): CliOptions['minAge'] {
  if (value === undefined) return undefined;
  const ms = parseMinAge(value);
  if (ms === undefined) throw new ImageTrustError('USAGE', `--min-age needs a whole number and a unit m, h, d or w, e.g. 7d or 12h (got "${value}")`);
  return { text: value.trim(), ms };
}

export function parseCli(argv: string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: 'string' },
        'fail-on': { type: 'string' },
        kind: { type: 'string' },
        resolve: { type: 'boolean', default: false },
        verify: { type: 'boolean', default: false },
        admission: { type: 'boolean', default: false },
        offline: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        platform: { type: 'string' },
        policy: { type: 'string' },
        'cache-dir': { type: 'string' },
        'insecure-registry': { type: 'string', multiple: true },
        'ca-file': { type: 'string' },
        'changed-since': { type: 'string' },
        severity: { type: 'string', multiple: true },
        'min-age': { type: 'string' },
        'allow-signer-change': { type: 'boolean', default: false },
        locked: { type: 'boolean', default: false },
        lock: { type: 'string' },
        check: { type: 'boolean', default: false },
        'trusted-root': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    throw new ImageTrustError('USAGE', (err as Error).message);
  }
  const { values, positionals } = parsed;
  const base = {
    paths: positionals.slice(1),
    format: oneOf<Format>('format', values.format, ['text', 'json', 'sarif', 'markdown', 'codequality'], 'text'),
    failOn: oneOf<FailOn>('fail-on', values['fail-on'], ['error', 'warning', 'info', 'never'], 'warning'),
    kind: values.kind === undefined ? undefined : oneOf<FileKind>('kind', values.kind, FILE_KINDS, 'kubernetes'),
    resolve: values.resolve!,
    verify: values.verify!,
    admission: values.admission!,
    offline: values.offline!,
    dryRun: values['dry-run']!,
    platform: values.platform,
    policy: values.policy,
    cacheDir: values['cache-dir'],
    insecureRegistries: values['insecure-registry'] ?? [],
    caFile: values['ca-file'],
    changedSince: values['changed-since'],
    severity: parseSeverityFlags(values.severity ?? []),
    trustedRoot: values['trusted-root'],
    minAge: parseMinAgeFlag(values['min-age']),
    allowSignerChange: values['allow-signer-change']!,
    locked: values.locked!,
    lockFile: values.lock,
    check: values.check!,
  };
  if (values.version) return { ...base, command: 'version' };
  if (values.help || positionals.length === 0) return { ...base, command: 'help', helpTopic: positionals[0] };
  if (positionals[0] === 'help') return { ...base, command: 'help', helpTopic: positionals[1] };
  const command = positionals[0];
  if (command !== 'scan' && command !== 'pin' && command !== 'tree' && command !== 'update' && command !== 'lock' && command !== 'init') {
    throw new ImageTrustError('USAGE', `unknown command "${command}" (expected scan, pin, tree, update, lock or init)`);
  }
  if (base.format === 'codequality' && command !== 'scan') throw new ImageTrustError('USAGE', '--format codequality is a format of scan');
  if (base.trustedRoot !== undefined && command !== 'init') throw new ImageTrustError('USAGE', '--trusted-root is an option of init (a policy names its root with trustedRoot:)');
  if (command === 'update' && base.format === 'sarif') throw new ImageTrustError('USAGE', 'update --format must be text, json or markdown');
  if (base.minAge !== undefined && command !== 'update') throw new ImageTrustError('USAGE', '--min-age is an option of update');
  if (base.allowSignerChange && command !== 'update') throw new ImageTrustError('USAGE', '--allow-signer-change is an option of update');
  if (base.check && command !== 'lock') throw new ImageTrustError('USAGE', '--check is an option of lock');
  if (base.locked && command !== 'scan') throw new ImageTrustError('USAGE', '--locked is an option of scan');
  // The lock verifies without a registry; asking one as well would break that promise.
  if (base.locked && (base.resolve || base.admission)) throw new ImageTrustError('USAGE', '--locked verifies without a registry: it cannot be combined with --resolve or --admission');
  if (base.platform !== undefined && !/^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/.test(base.platform)) {
    throw new ImageTrustError('USAGE', `--platform must look like os/arch or os/arch/variant (got "${base.platform}")`);
  }
  if (base.changedSince !== undefined && (base.changedSince === '' || base.changedSince.startsWith('-'))) {
    throw new ImageTrustError('USAGE', `--changed-since needs a git ref such as main or origin/main (got "${base.changedSince}")`);
  }
  return { ...base, command, paths: base.paths.length ? base.paths : ['.'] };
}
