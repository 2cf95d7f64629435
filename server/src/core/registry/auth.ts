// Answers registry auth challenges: Bearer tokens from the realm named in `WWW-Authenticate` (cached per host and
// scope until they expire) and Basic credentials. A user's credentials go only to the registry host they belong to,
// or to a token realm on that same host/login domain; any other realm is asked anonymously.

import { ImageTrustError } from '../errors';
import { parseWwwAuthenticate, type AuthChallenge } from './challenge';
import type { Credential, CredentialSource } from './credentials';
import { plainHttpAllowed, sameCredentialDomain } from './hosts';
import type { HttpRequest, HttpResponse } from './http';

export interface AuthAnswer {
  /** Value for the `Authorization` header. */
  authorization: string;
  /** True when user credentials were involved (for the error message if the registry still refuses). */
  withCredentials: boolean;
}

type Send = (req: HttpRequest) => Promise<HttpResponse>;

const MAX_TOKEN_RESPONSE = 256 * 1024;
/** Docker's token spec: tokens without `expires_in` last 60 s. */
const DEFAULT_TOKEN_LIFETIME_S = 60;
const EXPIRY_MARGIN_MS = 5_000;

export class Authenticator {
  private readonly tokens = new Map<string, { answer: AuthAnswer; expiresAt: number }>();
  private readonly basic = new Map<string, AuthAnswer>();
  private readonly inflight = new Map<string, Promise<AuthAnswer | undefined>>();

  constructor(
    private readonly credentials: CredentialSource,
    private readonly send: Send,
    private readonly insecureRegistries: readonly string[],
    private readonly now: () => number = Date.now,
  ) {}

  /** An `Authorization` to send up front, when an earlier challenge from this host taught us one. */
  cached(host: string, scope: string): AuthAnswer | undefined {
    const token = this.tokens.get(`${host} ${scope}`);
    if (token && token.expiresAt > this.now()) return token.answer;
    return this.basic.get(host);
  }

  /** Forgets what was cached for (host, scope), e.g. after the registry refused it. */
  forget(host: string, scope: string): void {
    this.tokens.delete(`${host} ${scope}`);
    this.basic.delete(host);
  }

  /**
   * What to retry with after a 401 carrying `header`; undefined when there is nothing to try (no credentials for a
   * Basic challenge, unknown scheme).
   */
  respond(host: string, scope: string, header: string | string[] | undefined, signal?: AbortSignal): Promise<AuthAnswer | undefined> {
    const key = `${host} ${scope}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.answer(host, scope, parseWwwAuthenticate(header), signal).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async answer(host: string, scope: string, challenges: AuthChallenge[], signal?: AbortSignal): Promise<AuthAnswer | undefined> {
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    if (bearer) return this.fetchToken(host, scope, bearer, signal);
    if (challenges.some((c) => c.scheme === 'basic')) {
      const cred = await this.credentials.get(host);
      if (!cred || cred.password === undefined) return undefined;
      const answer = { authorization: basicHeader(cred), withCredentials: true };
      this.basic.set(host, answer);
      return answer;
    }
    return undefined;
  }

  private async fetchToken(host: string, scope: string, challenge: AuthChallenge, signal?: AbortSignal): Promise<AuthAnswer> {
    const realm = parseRealm(host, challenge.params.realm, this.insecureRegistries);
    const cred = await this.credentialsForRealm(host, realm.host);
    const service = challenge.params.service;
    const tokenScope = challenge.params.scope || scope;
    const res = cred?.identityToken
      ? await this.send({
          method: 'POST',
          url: realm,
          kind: 'token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            refresh_token: cred.identityToken,
            client_id: 'image-trust',
            ...(service ? { service } : {}),
            scope: tokenScope,
          }).toString(),
          maxBytes: MAX_TOKEN_RESPONSE,
          signal,
        })
      : await this.send({
          method: 'GET',
          url: withQuery(realm, service, tokenScope),
          kind: 'token',
          authorization: cred?.password !== undefined ? basicHeader(cred) : undefined,
          maxBytes: MAX_TOKEN_RESPONSE,
          signal,
        });
    if (res.status === 401 || res.status === 403) {
      throw new ImageTrustError(
        'REGISTRY_UNAUTHORIZED',
        cred
          ? `${host}: the token service at ${realm.host} rejected the stored credentials for ${host} (HTTP ${res.status}); run \`docker login ${host}\` again`
          : `${host}: the token service at ${realm.host} refused anonymous access (HTTP ${res.status}); run \`docker login ${host}\` if this repository is private`,
      );
    }
    if (res.status < 200 || res.status >= 300) {
      throw new ImageTrustError('REGISTRY_BAD_RESPONSE', `${host}: token service at ${realm.host} answered HTTP ${res.status}`);
    }
    const { token, lifetimeS } = parseTokenResponse(host, res.body);
    const answer = { authorization: `Bearer ${token}`, withCredentials: cred !== undefined };
    const lifetimeMs = Math.max(lifetimeS * 1000 - EXPIRY_MARGIN_MS, 0);
    this.tokens.set(`${host} ${scope}`, { answer, expiresAt: this.now() + lifetimeMs });
    return answer;
  }

  /** The registry's credentials if the realm is on its login domain, else the realm host's own, else none. */
  private async credentialsForRealm(host: string, realmHost: string): Promise<Credential | undefined> {
    if (sameCredentialDomain(host, realmHost)) return this.credentials.get(host);
    return this.credentials.get(realmHost);
  }
}

function parseRealm(host: string, realm: string, insecureRegistries: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new ImageTrustError('REGISTRY_BAD_RESPONSE', `${host}: auth challenge names an invalid token realm`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && plainHttpAllowed(url.host, insecureRegistries))) {
    throw new ImageTrustError('REGISTRY_BAD_RESPONSE', `${host}: refused token realm ${url.protocol}//${url.host} (not HTTPS)`);
  }
  return url;
}

function withQuery(realm: URL, service: string | undefined, scope: string): URL {
  const url = new URL(realm);
  if (service) url.searchParams.set('service', service);
  url.searchParams.set('scope', scope);
  return url;
}

function parseTokenResponse(host: string, body: Buffer): { token: string; lifetimeS: number } {
  let json: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ImageTrustError('REGISTRY_BAD_RESPONSE', `${host}: token service answered something that is not JSON`);
  }
  const token = typeof json.token === 'string' && json.token ? json.token : json.access_token;
  if (typeof token !== 'string' || !token) {
    throw new ImageTrustError('REGISTRY_BAD_RESPONSE', `${host}: token service answered without a token`);
  }
  const exp = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : DEFAULT_TOKEN_LIFETIME_S;
  return { token, lifetimeS: exp };
}

function basicHeader(cred: Credential): string {
  return `Basic ${Buffer.from(`${cred.username ?? ''}:${cred.password ?? ''}`).toString('base64')}`;
}
