// Which API server to talk to: SKYPILOT_API_SERVER_ENDPOINT, then `api_server.endpoint` in
// config, then the local default. Credentials in the URL become a Basic auth header.
import { configGet } from '../core/config'
import { ValidationError } from '../core/errors'

export const DEFAULT_PORT = 46580
export const DEFAULT_ENDPOINT = `http://127.0.0.1:${DEFAULT_PORT}`

export interface Endpoint {
  /** Without credentials and without a trailing slash. */
  url: string
  host: string
  port: number
  isLocal: boolean
  authorization?: string
  source: 'env' | 'config' | 'default'
}

export function parseEndpoint(raw: string, source: Endpoint['source'] = 'config'): Endpoint {
  let u: URL
  try {
    u = new URL(raw.trim())
  } catch {
    throw new ValidationError([{ path: 'endpoint', message: `'${raw}' is not a URL; expected http(s)://host:port`, value: raw }])
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ValidationError([{ path: 'endpoint', message: `'${raw}' must start with http:// or https://`, value: raw }])
  }
  let authorization: string | undefined
  if (u.username) {
    const user = decodeURIComponent(u.username)
    const pass = decodeURIComponent(u.password)
    authorization = 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64')
    u.username = ''
    u.password = ''
  }
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80
  const host = u.hostname
  const url = u.toString().replace(/\/+$/, '')
  return { url, host, port, isLocal: ['127.0.0.1', 'localhost', '0.0.0.0', '[::1]'].includes(host) && u.protocol === 'http:', authorization, source }
}

export function resolveEndpoint(): Endpoint {
  const env = process.env.SKYPILOT_API_SERVER_ENDPOINT
  if (env) return parseEndpoint(env, 'env')
  const cfg = configGet<string>('api_server.endpoint')
  if (cfg) return parseEndpoint(cfg, 'config')
  return parseEndpoint(DEFAULT_ENDPOINT, 'default')
}

/** The endpoint URL with the password masked, for messages. */
export function displayUrl(e: Endpoint): string {
  return e.url
}
