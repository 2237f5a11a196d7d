// GCP credentials and project, found the way Google's own tools find them, without any network
// call (so `sky check` can name them and the CLI never loads a Google library):
//   1. GOOGLE_OAUTH_ACCESS_TOKEN: a ready access token (Terraform's setting), used as it is;
//   2. GOOGLE_APPLICATION_CREDENTIALS: a service-account key (or any credential file gcloud and the
//      client libraries accept: authorized_user, external_account, impersonated_service_account);
//   3. application-default credentials from `gcloud auth application-default login`
//      ($CLOUDSDK_CONFIG or ~/.config/gcloud/application_default_credentials.json);
//   4. the GCE metadata server — only on a Compute Engine VM (its BIOS says so, read from /sys,
//      no request) or when METADATA_SERVER_DETECTION says to look (assume-present / ping-only);
//      METADATA_SERVER_DETECTION=none turns it off.
// Nothing else is tried: the client never probes the metadata server or Google's token endpoint
// unless one of them is the credential source found here.
// Project: GOOGLE_CLOUD_PROJECT, GCLOUD_PROJECT, CLOUDSDK_CORE_PROJECT, the key file's project_id,
// gcloud's active configuration (core/project), the ADC file's quota project, else (metadata
// credentials only) the metadata server's project.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parseIni } from '../../infra/cloud-credentials'

export type Env = Record<string, string | undefined>

export type GcpAuthSource =
  | { kind: 'token'; token: string }
  | { kind: 'file'; path: string; type: string; account?: string; mtimeMs: number }
  | { kind: 'metadata' }

export interface GcpCredentials {
  found: boolean
  auth?: GcpAuthSource
  /** Found: where the credentials come from. Not found: why, and what to do. */
  detail: string
  project?: string
  /** Where the project setting comes from (`GOOGLE_CLOUD_PROJECT`, `gcloud config`...). */
  projectFrom?: string
}

function tilde(path: string, home: string): string {
  return path.startsWith(home + '/') ? '~' + path.slice(home.length) : path
}

export function gcloudConfigDir(env: Env, home: string): string {
  return env.CLOUDSDK_CONFIG || join(home, '.config', 'gcloud')
}

function gcloudProject(env: Env, home: string): string | undefined {
  const dir = gcloudConfigDir(env, home)
  let active = env.CLOUDSDK_ACTIVE_CONFIG_NAME || 'default'
  try {
    const f = join(dir, 'active_config')
    if (!env.CLOUDSDK_ACTIVE_CONFIG_NAME && existsSync(f)) active = readFileSync(f, 'utf8').trim() || 'default'
    const file = join(dir, 'configurations', `config_${active}`)
    return existsSync(file) ? parseIni(readFileSync(file, 'utf8')).core?.project || undefined : undefined
  } catch {
    return undefined
  }
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as unknown
    return j && typeof j === 'object' && !Array.isArray(j) ? (j as Record<string, unknown>) : null
  } catch {
    return null
  }
}

/** Whether this machine is a Compute Engine VM, from its BIOS (no network). */
function onGce(): boolean {
  for (const f of ['/sys/class/dmi/id/product_name', '/sys/class/dmi/id/bios_vendor']) {
    try {
      if (/Google/.test(readFileSync(f, 'utf8'))) return true
    } catch {
      // not Linux, or not readable: not known to be GCE
    }
  }
  return false
}

function metadataAllowed(env: Env): boolean {
  const mode = (env.METADATA_SERVER_DETECTION ?? '').trim().toLowerCase()
  if (mode === 'none') return false
  if (mode === 'assume-present' || mode === 'ping-only') return true
  return onGce()
}

const s = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined)

function fileSource(path: string, home: string, label: string): { auth?: GcpAuthSource; detail: string; json?: Record<string, unknown> } {
  if (!existsSync(path)) return { detail: `${label} points to ${path}, which does not exist` }
  const json = readJson(path)
  if (!json) return { detail: `${label} (${tilde(path, home)}) is not a JSON credentials file` }
  const type = s(json.type) ?? 'unknown'
  const known = ['service_account', 'authorized_user', 'external_account', 'impersonated_service_account', 'external_account_authorized_user']
  if (!known.includes(type)) return { detail: `${label} (${tilde(path, home)}) has credential type '${type}', which Google's client libraries do not accept (${known.join(', ')})` }
  if (type === 'service_account' && (!s(json.client_email) || !s(json.private_key))) {
    return { detail: `${label} (${tilde(path, home)}) is a service-account key without client_email / private_key` }
  }
  const account = s(json.client_email) ?? s((json.service_account_impersonation_url as string | undefined)?.split('/').pop()?.replace(/:generateAccessToken$/, ''))
  const kind = type === 'service_account' ? 'service-account key' : type === 'authorized_user' ? 'user credentials' : type.replace(/_/g, ' ')
  return {
    auth: { kind: 'file', path, type, ...(account ? { account } : {}), mtimeMs: statSync(path).mtimeMs },
    detail: `${label} (${tilde(path, home)}, ${kind}${account ? ` ${account}` : ''})`,
    json,
  }
}

/** The credentials and project this environment gives, or why there are none. */
export function gcpCredentials(env: Env, home: string): GcpCredentials {
  let auth: GcpAuthSource | undefined
  let detail: string
  let json: Record<string, unknown> | undefined
  if (env.GOOGLE_OAUTH_ACCESS_TOKEN) {
    auth = { kind: 'token', token: env.GOOGLE_OAUTH_ACCESS_TOKEN }
    detail = 'GOOGLE_OAUTH_ACCESS_TOKEN (an access token)'
  } else if (env.GOOGLE_APPLICATION_CREDENTIALS) {
    const f = fileSource(env.GOOGLE_APPLICATION_CREDENTIALS, home, 'GOOGLE_APPLICATION_CREDENTIALS')
    if (!f.auth) return { found: false, detail: f.detail }
    ;({ auth, detail, json } = f)
  } else {
    const adc = join(gcloudConfigDir(env, home), 'application_default_credentials.json')
    if (existsSync(adc)) {
      const f = fileSource(adc, home, 'gcloud application default credentials')
      if (!f.auth) return { found: false, detail: f.detail }
      ;({ auth, detail, json } = f)
    } else if (metadataAllowed(env)) {
      auth = { kind: 'metadata' }
      detail = "the VM's service account (GCE metadata server)"
    } else {
      return {
        found: false,
        detail: 'no GCP credentials found: run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file (or GOOGLE_OAUTH_ACCESS_TOKEN to an access token)',
      }
    }
  }
  const candidates: [string | undefined, string][] = [
    [env.GOOGLE_CLOUD_PROJECT, 'GOOGLE_CLOUD_PROJECT'],
    [env.GCLOUD_PROJECT, 'GCLOUD_PROJECT'],
    [env.CLOUDSDK_CORE_PROJECT, 'CLOUDSDK_CORE_PROJECT'],
    [s(json?.project_id), 'the key file'],
    [gcloudProject(env, home), 'gcloud config'],
    [s(json?.quota_project_id), "the credentials' quota project"],
  ]
  const hit = candidates.find(([v]) => !!v)
  return { found: true, auth, detail, ...(hit ? { project: hit[0]!, projectFrom: hit[1] } : {}) }
}

/** One line for `sky check`: the credentials and the project, or what is missing. */
export function describeGcpCredentials(c: GcpCredentials): string {
  if (!c.found) return c.detail
  if (c.project) return `${c.detail}, project '${c.project}'`
  if (c.auth?.kind === 'metadata') return `${c.detail}, project from the metadata server`
  return `${c.detail}; no project set (set GOOGLE_CLOUD_PROJECT, or: gcloud config set project <id>)`
}
