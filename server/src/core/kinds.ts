// Which kind of file is this? By name first; for YAML with an unconventional name, by content.
import { Parser } from 'yaml';
import picomatch from 'picomatch';
import { isDockerfileName } from './extract/dockerfile';
import type { FileKind } from './types';

export interface KindGlobs {
  /** Extra globs per kind (matched against the workspace-relative path with `/` separators). */
  [kind: string]: string[] | undefined;
}

const YAML_EXT = /\.ya?ml$/i;
const COMPOSE_NAME = /^(docker-)?compose([.-].*)?\.ya?ml$/i;
const KUSTOMIZE_NAME = /^kustomization\.ya?ml$/i;
const HELM_VALUES_NAME = /^values([.-].*)?\.ya?ml$/i;
// GitHub Actions (and the Gitea/Forgejo ports): Renovate's github-actions file patterns.
const ACTIONS_PATH = /(^|\/)(workflow-templates|\.(?:github|gitea|forgejo)\/(?:workflows|actions))\/.+\.ya?ml$/i;
const ACTION_NAME = /^action\.ya?ml$/i;
const GITLAB_CI_NAME = /(^|\.)gitlab-ci\.ya?ml$/i;
// The dev container spec's three places: .devcontainer/devcontainer.json, .devcontainer.json, and one folder below.
const DEVCONTAINER_PATH = /(^|\/)(\.devcontainer\.json|\.devcontainer\/devcontainer\.json|\.devcontainer\/[^/]+\/devcontainer\.json)$/i;
const HELM_TEMPLATE_PATH = /(^|\/)templates\/(.+\/)?[^/]+\.(ya?ml|tpl)$/i;

export interface DetectOptions {
  /** Whether a `Chart.yaml` sits next to the file (Helm values are `values*.yaml` next to a chart). */
  hasChartYaml?: boolean;
  /** Whether the file is under the `templates/` folder of a chart (see `chartOfTemplate`). */
  chartTemplate?: boolean;
  /** Whether the project's `.gitlab-ci.yml` includes the file with `include: local` (see `core/gitlab-includes.ts`). */
  gitlabIncluded?: boolean;
  extraGlobs?: KindGlobs;
  /** Workspace-relative path, for `extraGlobs`. */
  relativePath?: string;
}

const globCache = new Map<string, (p: string) => boolean>();
function globMatches(glob: string, path: string): boolean {
  let m = globCache.get(glob);
  if (!m) {
    m = picomatch(glob, { dot: true, matchBase: !glob.includes('/') });
    globCache.set(glob, m);
  }
  return m(path);
}

/** Kind from the file name (and the user's extra globs); `null` when only the content can tell (or it is no kind). */
export function kindFromName(path: string, opts: DetectOptions = {}): FileKind | null {
  const rel = (opts.relativePath ?? path).replace(/\\/g, '/');
  for (const [kind, globs] of Object.entries(opts.extraGlobs ?? {})) {
    if (globs?.some((g) => globMatches(g, rel))) return kind as FileKind;
  }
  const full = path.replace(/\\/g, '/');
  const base = rel.slice(rel.lastIndexOf('/') + 1);
  if (isDockerfileName(base)) return 'dockerfile';
  if (DEVCONTAINER_PATH.test(rel) || DEVCONTAINER_PATH.test(full)) return 'devcontainer';
  if (opts.chartTemplate && (HELM_TEMPLATE_PATH.test(rel) || HELM_TEMPLATE_PATH.test(full))) return 'helm-template';
  if (!YAML_EXT.test(base)) return null;
  if (ACTIONS_PATH.test(rel) || ACTIONS_PATH.test(full) || ACTION_NAME.test(base)) return 'github-actions';
  if (GITLAB_CI_NAME.test(base) || opts.gitlabIncluded) return 'gitlab-ci';
  if (COMPOSE_NAME.test(base)) return 'compose';
  if (KUSTOMIZE_NAME.test(base)) return 'kustomize';
  if (HELM_VALUES_NAME.test(base) && opts.hasChartYaml) return 'helm-values';
  return null;
}

/**
 * The chart folder of a Helm template: the nearest folder above a `templates/` segment of `path` that holds a
 * `Chart.yaml` (`charts/web/templates/app/deploy.yaml` → `charts/web`; subcharts under `charts/` find their own).
 * `null` when the file is no chart template. `exists` is asked about `<folder>/Chart.yaml` only.
 */
export function chartOfTemplate(path: string, exists: (file: string) => boolean): string | null {
  const parts = path.replace(/\\/g, '/').split('/');
  if (!/\.(ya?ml|tpl)$/i.test(parts[parts.length - 1] ?? '')) return null;
  for (let i = parts.length - 2; i >= 0; i--) {
    if (parts[i] !== 'templates') continue;
    const dir = parts.slice(0, i).join('/') || (path.startsWith('/') ? '/' : '.');
    if (exists(`${dir === '/' ? '' : dir}/Chart.yaml`)) return dir;
  }
  return null;
}

/** Whether a YAML file could hold images at all, to decide if content sniffing is needed. */
export function isYamlName(path: string): boolean {
  return YAML_EXT.test(path);
}

/**
 * Kind from YAML content: a document with top-level `apiVersion` and `kind` → Kubernetes; a top-level `services`
 * mapping → compose (kustomize files are found by name: kustomize itself requires it). Uses the CST only.
 */
export function kindFromContent(text: string): FileKind | null {
  // Cheap pre-check: block-style top-level keys start at column 0. Without such a line no parse is needed.
  if (!/^(apiVersion|kind|services)\s*:/m.test(text) && !/^["'](apiVersion|kind|services)["']\s*:/m.test(text)) return null;
  let sawServices = false;
  try {
    for (const token of new Parser().parse(text)) {
      if (token.type !== 'document' || !token.value || token.value.type !== 'block-map') continue;
      const keys = new Set<string>();
      for (const item of token.value.items) {
        const k = item.key;
        if (k && (k.type === 'scalar' || k.type === 'single-quoted-scalar' || k.type === 'double-quoted-scalar')) {
          keys.add(k.source.replace(/^['"]|['"]$/g, ''));
        }
      }
      if (keys.has('apiVersion') && keys.has('kind')) {
        return 'kubernetes';
      }
      if (keys.has('services')) sawServices = true;
    }
  } catch {
    return null;
  }
  return sawServices ? 'compose' : null;
}

export function detectKind(path: string, text: string | undefined, opts: DetectOptions = {}): FileKind | null {
  const byName = kindFromName(path, opts);
  if (byName) return byName;
  if (text !== undefined && isYamlName(path)) return kindFromContent(text);
  return null;
}
