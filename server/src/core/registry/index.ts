// Public surface of the registry client.

export * from './types';
export { createRegistryClient, MANIFEST_ACCEPT, type RegistryClient, type RegistryOptions } from './client';
export { dockerConfigCredentials, noCredentials, staticCredentials, type Credential, type CredentialSource, type DockerConfigOptions } from './credentials';
export { resolvePlatforms, findPlatform, type PlatformManifest, type PlatformsResult } from './platforms';
export { locateRepository, apiHost, credentialKey, type RepositoryLocation } from './hosts';
export { parseWwwAuthenticate, type AuthChallenge } from './challenge';
export type { RequestInfo, RequestKind } from './http';
export { digestOf, isDigest } from './digest';
