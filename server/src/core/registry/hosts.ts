// Registry host naming: which host an image name's API calls go to, which key its credentials are stored under,
// and whether plain HTTP may be used for it. Pure functions, no I/O.

import { ImageTrustError } from '../errors';

/** The one host all Docker Hub API calls go to. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/** The key Docker stores Docker Hub credentials under in `config.json`. */
export const DOCKER_HUB_CREDENTIAL_KEY = 'https://index.docker.io/v1/';

const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
/** Hosts that are part of Docker Hub's login (its token service lives on a different host). */
const DOCKER_HUB_AUTH_HOSTS = new Set([...DOCKER_HUB_ALIASES, 'auth.docker.io']);

export function isDockerHub(host: string): boolean {
  return DOCKER_HUB_ALIASES.has(host.toLowerCase());
}

/** Maps every spelling of a registry to the host its API is served from (Docker Hub aliases → one host). */
export function apiHost(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB_API_HOST : lower;
}

/** True when both hosts belong to the same login (same host, or both part of Docker Hub). */
export function sameCredentialDomain(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x === y || (DOCKER_HUB_AUTH_HOSTS.has(x) && DOCKER_HUB_AUTH_HOSTS.has(y));
}

export interface RepositoryLocation {
  /** Host (with port) the API calls go to, e.g. `registry-1.docker.io`, `127.0.0.1:5000`. */
  host: string;
  /** Repository path inside the registry, e.g. `library/nginx`. */
  repository: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/**
 * Splits a fully qualified image name (`docker.io/library/nginx`, `127.0.0.1:5000/app`) into API host and
 * repository. A name without a registry part is taken as Docker Hub, as Docker does (`nginx` → `library/nginx`).
 */
export function locateRepository(name: string): RepositoryLocation {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const hasDomain = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  const domain = hasDomain ? first : 'docker.io';
  let repository = hasDomain ? name.slice(slash + 1) : name;
  if (isDockerHub(domain) && !repository.includes('/')) repository = `library/${repository}`;
  if (!repository || !repository.split('/').every((c) => COMPONENT.test(c))) {
    throw new ImageTrustError('INVALID_REFERENCE', `"${name}" is not a valid image name`);
  }
  return { host: apiHost(domain), repository };
}

/** Hostname without port, and without the brackets of an IPv6 literal. */
export function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon > 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

export function isLoopback(host: string): boolean {
  const h = hostnameOf(host).toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h);
}

/**
 * Plain HTTP is allowed only for loopback hosts and hosts the user listed as insecure; everything else must be
 * HTTPS with a verified certificate.
 */
export function plainHttpAllowed(host: string, insecureRegistries: readonly string[]): boolean {
  const h = host.toLowerCase();
  return isLoopback(h) || insecureRegistries.some((r) => r.toLowerCase() === h || apiHost(r) === h);
}

/** The key Docker uses for a registry's credentials: the Hub's legacy URL, or the plain host. */
export function credentialKey(host: string): string {
  return isDockerHub(host) ? DOCKER_HUB_CREDENTIAL_KEY : host.toLowerCase();
}

/** Docker's normalization of a `config.json` `auths` key (`https://host/v1/` → `host`). */
export function hostOfCredentialKey(key: string): string {
  const stripped = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  return apiHost(stripped.split('/')[0]);
}
