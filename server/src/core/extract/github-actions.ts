// Image references in GitHub Actions workflows (`.github/workflows/*.yml`; also Gitea/Forgejo and
// `workflow-templates/`) and action metadata files (`action.yml`):
// - `jobs.<id>.container`: a string, or a mapping with `image`;
// - `jobs.<id>.services.<name>.image` (a bare string is accepted too, as Renovate does);
// - `uses: docker://image[:tag][@digest]` wherever a step is written (job steps, composite action steps);
// - an action's `runs.image: docker://…` (Docker container actions; `runs.image: Dockerfile` is a build, not an image).
// Expressions (`${{ matrix.image }}`) are decided when the workflow runs, so such values are templated. For
// `docker://` values the reported range starts after the scheme, so a pin writes `docker://alpine:3.19@sha256:…`.

import { isMap, isScalar } from 'yaml';
import type { Node, YAMLMap } from 'yaml';
import type { RawRef } from '../types';
import { isTemplated } from './templating';
import {
  extractFromDocuments,
  formatPath,
  keyName,
  mapEntries,
  mapGet,
  mapGetMap,
  reportInline,
  scalarSite,
  scalarString,
  walkMappings,
  type YamlDoc,
  type YamlExtraction,
} from './yaml-util';

const DOCKER_SCHEME = 'docker://';

export function extractGithubActions(text: string): RawRef[] {
  return extractGithubActionsWithErrors(text).refs;
}

export function extractGithubActionsWithErrors(text: string): YamlExtraction {
  return extractFromDocuments(text, 'github-actions', (doc) => {
    const root = doc.deref(doc.doc.contents);
    if (!isMap(root)) return;
    const jobs = mapGetMap(doc, root, 'jobs');
    if (jobs) for (const [id, job] of mapEntries(doc, jobs)) if (isMap(job)) extractJob(doc, id, job);
    const runs = mapGetMap(doc, root, 'runs');
    if (runs) reportDocker(doc, mapGet(doc, runs, 'image'), 'runs.image (Docker container action)');
    // Every `uses: docker://…`, at any depth: job steps, composite action steps, and whatever a future syntax adds.
    walkMappings(doc, root, (map, path) => {
      for (const pair of map.items) {
        if (keyName(pair.key) !== 'uses') continue;
        const where = formatPath(doc, path);
        reportDocker(doc, doc.deref(pair.value), `${where ? `${where}.` : ''}uses`);
      }
    });
  });
}

function extractJob(doc: YamlDoc, id: string, job: YAMLMap): void {
  const container = mapGet(doc, job, 'container');
  if (isScalar(container)) reportInline(doc, container, `job ${id} › container`);
  else if (isMap(container)) reportInline(doc, mapGet(doc, container, 'image'), `job ${id} › container.image`);
  const services = mapGetMap(doc, job, 'services');
  if (!services) return;
  for (const [name, service] of mapEntries(doc, services)) {
    if (isMap(service)) reportInline(doc, mapGet(doc, service, 'image'), `job ${id} › services.${name}.image`);
    else if (isScalar(service)) reportInline(doc, service, `job ${id} › services.${name}`);
  }
}

/**
 * Reports a `docker://image` value with its range after the scheme. Values without the scheme (a repository action
 * `actions/checkout@v4`, a local `./action`, `runs.image: Dockerfile`) are not images and are skipped.
 */
function reportDocker(doc: YamlDoc, node: Node | undefined, context: string): void {
  if (!isScalar(node) || typeof node.value !== 'string') return;
  const value = scalarString(node);
  if (!value?.startsWith(DOCKER_SCHEME)) return;
  const reference = value.slice(DOCKER_SCHEME.length);
  if (reference.trim() === '') return;
  const site = scalarSite(doc.text, node);
  if (!site) return;
  // The scheme is written as is (no escapes) in every real file; if it is not, the value is reported where it is
  // written but not pinned in place.
  const exact = site.text.startsWith(DOCKER_SCHEME) && site.text.slice(DOCKER_SCHEME.length) === reference;
  const range = exact ? { start: site.range.start + DOCKER_SCHEME.length, end: site.range.end } : site.range;
  const templated = isTemplated(reference);
  const ref: RawRef = { kind: 'github-actions', range, text: doc.text.slice(range.start, range.end), reference, templated, context };
  if (!templated && exact && site.pinnable) ref.pin = { type: 'inline', range: { ...range } };
  doc.report(ref);
}
