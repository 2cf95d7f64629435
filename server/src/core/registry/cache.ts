// Registry answers kept between calls and between runs:
// - tag → digest and referrer lists: valid for a TTL (tags move), one JSON index written atomically;
// - content (manifests, small blobs) by digest: valid forever, one file per digest, re-verified on every read.
// Without a directory the cache lives in memory only.

import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ImageTrustError } from '../errors';
import type { Descriptor } from './types';
import { isDigest, matchesDigest } from './digest';

export interface TagEntry {
  digest: string;
  mediaType: string;
  /** When it was learned from the registry (ms since epoch). */
  at: number;
}

export interface ReferrersEntry {
  manifests: Descriptor[];
  source: 'api' | 'tag-schema' | 'none';
  at: number;
}

interface IndexFile {
  version: 1;
  tags: Record<string, TagEntry>;
  referrers: Record<string, ReferrersEntry>;
}

const INDEX_FILE = 'tags.json';
const MAX_INDEX_BYTES = 32 * 1024 * 1024;
/** Content kept in memory; beyond this the oldest entries are dropped (they stay on disk). */
const MAX_MEMORY_BYTES = 64 * 1024 * 1024;

export class RegistryCache {
  private index: IndexFile = emptyIndex();
  private loaded: Promise<void> | undefined;
  private dirty = false;
  private readonly objects = new Map<string, Buffer>();
  private objectBytes = 0;

  constructor(private readonly dir: string | undefined) {}

  async getTag(key: string): Promise<TagEntry | undefined> {
    await this.load();
    return this.index.tags[key];
  }

  async setTag(key: string, entry: TagEntry): Promise<void> {
    await this.load();
    this.index.tags[key] = entry;
    this.dirty = true;
  }

  async getReferrers(key: string): Promise<ReferrersEntry | undefined> {
    await this.load();
    return this.index.referrers[key];
  }

  async setReferrers(key: string, entry: ReferrersEntry): Promise<void> {
    await this.load();
    this.index.referrers[key] = entry;
    this.dirty = true;
  }

  /** Content by digest; a stored copy whose hash no longer matches is deleted and reported as a miss. */
  async getObject(digest: string): Promise<Buffer | undefined> {
    const mem = this.objects.get(digest);
    if (mem) return mem;
    const file = this.objectPath(digest);
    if (!file) return undefined;
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return undefined;
    }
    if (!matchesDigest(body, digest)) {
      await unlink(file).catch(() => {});
      return undefined;
    }
    this.remember(digest, body);
    return body;
  }

  /** Stores verified content (the caller checked `body` against `digest`). */
  async putObject(digest: string, body: Buffer): Promise<void> {
    this.remember(digest, body);
    const file = this.objectPath(digest);
    // A failed cache write costs a request next time; it must not fail the answer, which is already verified.
    if (file) await writeAtomically(file, body).catch(() => {});
  }

  /** Writes the tag index, merged with what another process may have written meanwhile (newest entry wins). */
  async flush(): Promise<void> {
    if (!this.dir || !this.dirty) return;
    const onDisk = await readIndex(path.join(this.dir, INDEX_FILE));
    const merged: IndexFile = {
      version: 1,
      tags: mergeNewest(onDisk.tags, this.index.tags),
      referrers: mergeNewest(onDisk.referrers, this.index.referrers),
    };
    const file = path.join(this.dir, INDEX_FILE);
    try {
      await writeAtomically(file, Buffer.from(JSON.stringify(merged)));
    } catch (err) {
      throw new ImageTrustError('IO_ERROR', `cannot write registry cache ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
    }
    this.index = merged;
    this.dirty = false;
  }

  private load(): Promise<void> {
    this.loaded ??= this.dir
      ? readIndex(path.join(this.dir, INDEX_FILE)).then((idx) => {
          this.index = { version: 1, tags: { ...idx.tags, ...this.index.tags }, referrers: { ...idx.referrers, ...this.index.referrers } };
        })
      : Promise.resolve();
    return this.loaded;
  }

  private objectPath(digest: string): string | undefined {
    if (!this.dir || !isDigest(digest)) return undefined;
    const [algorithm, hex] = digest.split(':');
    return path.join(this.dir, 'objects', algorithm, hex);
  }

  private remember(digest: string, body: Buffer): void {
    if (this.objects.has(digest) || body.length > MAX_MEMORY_BYTES) return;
    this.objects.set(digest, body);
    this.objectBytes += body.length;
    for (const [key, value] of this.objects) {
      if (this.objectBytes <= MAX_MEMORY_BYTES) break;
      this.objects.delete(key);
      this.objectBytes -= value.length;
    }
  }
}

function emptyIndex(): IndexFile {
  return { version: 1, tags: {}, referrers: {} };
}

/** The index on disk, keeping only well-formed entries; a missing or corrupt file counts as empty. */
async function readIndex(file: string): Promise<IndexFile> {
  let parsed: unknown;
  try {
    const buf = await readFile(file);
    if (buf.length > MAX_INDEX_BYTES) return emptyIndex();
    parsed = JSON.parse(buf.toString('utf8'));
  } catch {
    return emptyIndex();
  }
  const raw = parsed as Partial<IndexFile> | null;
  if (!raw || raw.version !== 1) return emptyIndex();
  const index = emptyIndex();
  for (const [k, v] of Object.entries(raw.tags ?? {})) {
    if (v && typeof v.digest === 'string' && isDigest(v.digest) && typeof v.mediaType === 'string' && typeof v.at === 'number') {
      index.tags[k] = { digest: v.digest, mediaType: v.mediaType, at: v.at };
    }
  }
  for (const [k, v] of Object.entries(raw.referrers ?? {})) {
    if (v && Array.isArray(v.manifests) && typeof v.at === 'number' && ['api', 'tag-schema', 'none'].includes(v.source)) {
      const manifests = v.manifests.filter((d) => d && typeof d.digest === 'string' && isDigest(d.digest) && typeof d.mediaType === 'string');
      index.referrers[k] = { manifests, source: v.source, at: v.at };
    }
  }
  return index;
}

function mergeNewest<T extends { at: number }>(a: Record<string, T>, b: Record<string, T>): Record<string, T> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) if (!out[k] || out[k].at <= v.at) out[k] = v;
  return out;
}

async function writeAtomically(file: string, body: Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, body);
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}
