// How a client reaches a Compute endpoint given the two settings issue 15 names (Terraform's
// names): GOOGLE_COMPUTE_CUSTOM_ENDPOINT — `http://host:port` or a base URL ending in
// `/compute/v1/` — and GOOGLE_OAUTH_ACCESS_TOKEN, a ready access token. @google-cloud/compute
// takes a host (`apiEndpoint`), a `port` and a `protocol` (without protocol 'http' it speaks TLS to
// an http port and hangs), always adds /compute/v1/ itself, and must be given an auth client so it
// never looks for application-default credentials or the metadata server. The endpoint parser is
// sky's own (src/core/provision/gcp/endpoint.ts), so these tests hold it to the real client too.
import { OAuth2Client } from 'google-auth-library'
import { parseComputeEndpoint as parseEndpoint, type ComputeEndpoint } from '../../../src/core/provision/gcp/endpoint.ts'

export type { ComputeEndpoint }

/** Parse GOOGLE_COMPUTE_CUSTOM_ENDPOINT (sky's own parser); the error names the setting and the accepted forms. */
export const parseComputeEndpoint = (setting: string): ComputeEndpoint => parseEndpoint(setting)

/** An auth client that only ever presents `token` (far expiry, no refresh token: it never refreshes). */
export function fixedTokenAuth(token: string): OAuth2Client {
  const auth = new OAuth2Client()
  auth.setCredentials({ access_token: token, expiry_date: Date.now() + 10 * 365 * 24 * 3600 * 1000 })
  return auth
}

/** Options for any @google-cloud/compute client class, from the two settings. */
export function computeClientOptions(endpoint: string, token: string): ComputeEndpoint & { authClient: OAuth2Client; [option: string]: string | number | object } {
  return { ...parseComputeEndpoint(endpoint), authClient: fixedTokenAuth(token) }
}
