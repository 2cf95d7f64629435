// The workspace the editor tests open: a Kubernetes manifest, a compose file and a Dockerfile whose images live in
// a real local registry, each pushed there so the extension can resolve real digests — plus one image pinned by
// digest, signed with cosign and attested (SLSA provenance) with the key the workspace's trust policy names.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildImage, pushImage, type TestRegistry } from '../../support/registry';
import { newKeyPair, publicKeyPem } from '../../support/signing';
import { pushSignedImage } from './signedImage';

export interface DemoImage {
  /** `demo/web:1.0` */
  repoTag: string;
  /** The full reference as written in the file: `127.0.0.1:<port>/demo/web:1.0`. */
  reference: string;
  /** The digest the registry serves for it. */
  digest: string;
  /** Workspace-relative file that references it. */
  file: string;
}

export interface DemoWorkspace {
  dir: string;
  /** The tag-only references (what the pin commands change). */
  images: DemoImage[];
  /** The signed image, written already pinned (`name:tag@digest`) in its own file; not among `images`. */
  signed: DemoImage;
  /** Any demo image, `images` or `signed`. */
  image(repoTag: string): DemoImage;
  /** 1-based line and a column inside the reference `repoTag` in its file. */
  positionOf(repoTag: string): { line: number; column: number };
  text(file: string): string;
  remove(): Promise<void>;
}

const FILES: Record<string, (host: string) => string> = {
  'deploy/web.yaml': (host) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: ${host}/demo/web:1.0
        - name: api
          image: ${host}/demo/api:2.0
`,
  'compose.yaml': (host) => `services:
  cache:
    image: ${host}/demo/cache:7.2
  worker:
    image: ${host}/demo/worker:1.4
`,
  Dockerfile: (host) => `FROM ${host}/demo/base:3.1
RUN echo "built on a pinned base"
`,
};

const IMAGES: Array<{ repoTag: string; file: string }> = [
  { repoTag: 'demo/web:1.0', file: 'deploy/web.yaml' },
  { repoTag: 'demo/api:2.0', file: 'deploy/web.yaml' },
  { repoTag: 'demo/cache:7.2', file: 'compose.yaml' },
  { repoTag: 'demo/worker:1.4', file: 'compose.yaml' },
  { repoTag: 'demo/base:3.1', file: 'Dockerfile' },
];

const SIGNED = { repoTag: 'demo/signed:1.0', file: 'deploy/signed.yaml' };

const signedManifest = (pinnedReference: string) => `apiVersion: v1
kind: Pod
metadata:
  name: signed
spec:
  containers:
    - name: app
      image: ${pinnedReference}
`;

/**
 * Every demo image falls under one audit rule: signed by the workspace's release key, with SLSA provenance. The
 * unsigned ones are therefore reported (as warnings), and only the signed one can be "verified". The demo signs
 * without a transparency log, so the key signer says `tlog: false` (by default a key signature needs a Rekor entry).
 */
const trustPolicy = (host: string) => `version: 1
rules:
  - name: demo-release
    match: "${host}/demo/**"
    mode: audit
    signers:
      - key: ./keys/release.pub
        tlog: false   # the demo signs without a transparency log
    attestations:
      - predicateType: https://slsa.dev/provenance/v1
`;

export async function createDemoWorkspace(registry: TestRegistry): Promise<DemoWorkspace> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'image-trust-e2e-ws-'));
  const layouts = await mkdtemp(path.join(os.tmpdir(), 'image-trust-e2e-layouts-'));
  try {
    const texts = new Map<string, string>();
    const write = async (file: string, text: string) => {
      texts.set(file, text);
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), text);
    };
    for (const [file, render] of Object.entries(FILES)) await write(file, render(registry.host));
    const images: DemoImage[] = [];
    for (const { repoTag, file } of IMAGES) {
      // Distinct content per image, so each has its own digest and a mix-up would show.
      const layout = await buildImage(path.join(layouts, repoTag.replace(/[/:]/g, '_')), { seed: repoTag });
      const digest = await pushImage(layout, registry, repoTag);
      images.push({ repoTag, reference: `${registry.host}/${repoTag}`, digest, file });
    }
    const release = newKeyPair();
    await write('keys/release.pub', publicKeyPem(release.publicKey));
    await write('.image-trust.yaml', trustPolicy(registry.host));
    const signedDigest = await pushSignedImage(registry, SIGNED.repoTag, path.join(layouts, 'signed'), release.privateKey);
    const signed: DemoImage = { ...SIGNED, reference: `${registry.host}/${SIGNED.repoTag}`, digest: signedDigest };
    await write(SIGNED.file, signedManifest(`${signed.reference}@${signed.digest}`));
    const image = (repoTag: string) => {
      const found = [...images, signed].find((i) => i.repoTag === repoTag);
      if (!found) throw new Error(`no demo image ${repoTag}`);
      return found;
    };
    return {
      dir,
      images,
      signed,
      image,
      text: (file) => texts.get(file) ?? '',
      positionOf(repoTag) {
        const img = image(repoTag);
        const lines = (texts.get(img.file) ?? '').split('\n');
        const line = lines.findIndex((l) => l.includes(img.reference));
        if (line < 0) throw new Error(`${img.reference} is not in ${img.file}`);
        // Inside the repository part of the reference, well within the diagnostic's range.
        return { line: line + 1, column: lines[line]!.indexOf(img.reference) + registry.host.length + 4 };
      },
      async remove() {
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  } finally {
    await rm(layouts, { recursive: true, force: true });
  }
}
