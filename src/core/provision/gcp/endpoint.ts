// Where the Compute API is: Google's endpoint, or a private / test one named the way Terraform's
// Google provider names it — GOOGLE_COMPUTE_CUSTOM_ENDPOINT (or `gcp.compute_endpoint` in
// ~/.sky/config.yaml), as `http(s)://host:port` or a base URL ending in /compute/v1/. The client
// library takes a host, a port and a protocol (it adds /compute/v1/ itself, and without protocol
// 'http' it speaks TLS to an http port and hangs), so the URL is taken apart here.
import { configGet } from '../../config'
import { InfraConfigError } from '../errors'

export interface ComputeEndpoint {
  apiEndpoint: string
  port: number
  protocol: 'http' | 'https'
}

/** Parse a custom Compute endpoint; the error names `setting` and the accepted forms. */
export function parseComputeEndpoint(value: string, setting = 'GOOGLE_COMPUTE_CUSTOM_ENDPOINT'): ComputeEndpoint {
  const bad = (why: string) => new InfraConfigError(`${setting}: ${why}`, { infra: 'gcp', hint: 'Use http(s)://host:port or a base URL ending in /compute/v1/ (https://compute.googleapis.com/compute/v1/).' })
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw bad(`'${value}' is not a URL; use http(s)://host:port or a base URL ending in /compute/v1/`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(`unsupported scheme '${url.protocol}' (http or https)`)
  const path = url.pathname.replace(/\/+$/, '')
  if (path !== '' && path !== '/compute/v1') throw bad(`the path must be empty or /compute/v1/ (the client adds /compute/v1/ itself), got '${url.pathname}'`)
  const protocol = url.protocol === 'http:' ? 'http' : 'https'
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  return { apiEndpoint: host, port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443, protocol }
}

/** The configured endpoint and where it was set (the environment wins over the config file), or null for Google's. */
export function computeEndpointSetting(env: Record<string, string | undefined> = process.env): { value: string; setting: string } | null {
  if (env.GOOGLE_COMPUTE_CUSTOM_ENDPOINT) return { value: env.GOOGLE_COMPUTE_CUSTOM_ENDPOINT, setting: 'GOOGLE_COMPUTE_CUSTOM_ENDPOINT' }
  const fromConfig = configGet<unknown>('gcp.compute_endpoint')
  if (fromConfig === undefined || fromConfig === null || fromConfig === '') return null
  if (typeof fromConfig !== 'string') throw new InfraConfigError('Config key gcp.compute_endpoint must be a URL string.', { infra: 'gcp', hint: 'Fix it in ~/.sky/config.yaml, then run: sky check gcp' })
  return { value: fromConfig, setting: 'gcp.compute_endpoint' }
}

/** The endpoint to use (null: Google's) and how to show it. */
export function computeEndpoint(env: Record<string, string | undefined> = process.env): { endpoint: ComputeEndpoint | null; shown: string | null; setting: string | null } {
  const s = computeEndpointSetting(env)
  if (!s) return { endpoint: null, shown: null, setting: null }
  return { endpoint: parseComputeEndpoint(s.value, s.setting), shown: s.value, setting: s.setting }
}
