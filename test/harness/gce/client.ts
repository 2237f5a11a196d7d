// How a client reaches a Compute endpoint given the two settings issue 15 names (Terraform's
// names): GOOGLE_COMPUTE_CUSTOM_ENDPOINT — `http://host:port` or a base URL ending in
// `/compute/v1/` — and GOOGLE_OAUTH_ACCESS_TOKEN, a ready access token. @google-cloud/compute
// takes a host (`apiEndpoint`), a `port` and a `protocol` (without protocol 'http' it speaks TLS to
// an http port and hangs), always adds /compute/v1/ itself, and must be given an auth client so it
// never looks for application-default credentials or the metadata server.
import { OAuth2Client } from 'google-auth-library'

export interface ComputeEndpoint {
  apiEndpoint: string
  port: number
  protocol: 'http' | 'https'
}

/** Parse GOOGLE_COMPUTE_CUSTOM_ENDPOINT; the error names the setting and the accepted forms. */
export function parseComputeEndpoint(setting: string): ComputeEndpoint {
  let url: URL
  try {
    url = new URL(setting)
  } catch {
    throw new Error(`GOOGLE_COMPUTE_CUSTOM_ENDPOINT: '${setting}' is not a URL; use http(s)://host:port or a base URL ending in /compute/v1/`)
  }
  const path = url.pathname.replace(/\/+$/, '')
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`GOOGLE_COMPUTE_CUSTOM_ENDPOINT: unsupported scheme '${url.protocol}' (http or https)`)
  if (path !== '' && path !== '/compute/v1') {
    throw new Error(`GOOGLE_COMPUTE_CUSTOM_ENDPOINT: the path must be empty or /compute/v1/ (the client adds /compute/v1/ itself), got '${url.pathname}'`)
  }
  const protocol = url.protocol === 'http:' ? 'http' : 'https'
  return { apiEndpoint: url.hostname, port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443, protocol }
}

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
