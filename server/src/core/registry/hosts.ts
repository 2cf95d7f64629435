// Registry host naming: which host an image name's API calls go to, which key its credentials are stored under,
// and whether plain HTTP may be used for it. Pure functions, no I/O.

import { canonicalHost, DEFAULT_DOMAIN, parseRepositoryName } from '../reference';

/** The one host all Docker Hub API calls go to. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/** The key Docker stores Docker Hub credentials under in `config.json`. */
export const DOCKER_HUB_CREDENTIAL_KEY = 'https://index.docker.io/v1/';

/** Docker Hub's token service: part of its login, though not a registry host. */
const DOCKER_HUB_AUTH_HOST = 'auth.docker.io';

/** Every spelling of Docker Hub's registry (`docker.io`, `index.docker.io`, `registry-1.docker.io`, any case, `:443`). */
export function isDockerHub(host: string): boolean {
  return canonicalHost(host) === DEFAULT_DOMAIN;
}

/**
 * Maps every spelling of a registry to the host its API is served from: the canonical host (see the reference
 * grammar), lower-case as DNS names are case-insensitive, and Docker Hub's one API host.
 */
export function apiHost(host: string): string {
  const canonical = canonicalHost(host);
  return canonical === DEFAULT_DOMAIN ? DOCKER_HUB_API_HOST : canonical.toLowerCase();
}

/** True when both hosts belong to the same login (same host, or both part of Docker Hub). */
export function sameCredentialDomain(a: string, b: string): boolean {
  const hub = (h: string) => isDockerHub(h) || h.toLowerCase() === DOCKER_HUB_AUTH_HOST;
  return apiHost(a) === apiHost(b) || (hub(a) && hub(b));
}

export interface RepositoryLocation {
  /** Host (with port) the API calls go to, e.g. `registry-1.docker.io`, `127.0.0.1:5000`. */
  host: string;
  /** Repository path inside the registry, e.g. `library/nginx`. */
  repository: string;
}

/**
 * Splits an image name (`docker.io/library/nginx`, `127.0.0.1:5000/app`, `nginx`; no tag or digest) into API host
 * and repository, through the one name grammar (`parseRepositoryName`): every spelling of a registry
 * (`GHCR.IO:443`, `index.docker.io`) goes to the same host. Throws `INVALID_REFERENCE` for an invalid name.
 */
export function locateRepository(name: string): RepositoryLocation {
  const { domain, path } = parseRepositoryName(name);
  return { host: apiHost(domain), repository: path };
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
  const h = apiHost(host);
  return isLoopback(h) || insecureRegistries.some((r) => apiHost(r) === h);
}

/** The key Docker uses for a registry's credentials: the Hub's legacy URL, or the plain host. */
export function credentialKey(host: string): string {
  return isDockerHub(host) ? DOCKER_HUB_CREDENTIAL_KEY : apiHost(host);
}

/** Docker's normalization of a `config.json` `auths` key (`https://host/v1/` → `host`). */
export function hostOfCredentialKey(key: string): string {
  const stripped = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  return apiHost(stripped.split('/')[0]);
}
