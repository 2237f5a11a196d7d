// Finds AWS and GCP credentials on disk or in the environment, without any network call: enough
// for `sky check` to say whether a cloud can be used and, if not, what to do about it.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describeGcpCredentials, gcpCredentials as resolveGcp } from '../provision/gcp/credentials'

export type Env = Record<string, string | undefined>

export interface CredentialResult {
  found: boolean
  /** Where the credentials come from, or why none were found and how to add them. */
  detail: string
}

/** Minimal INI reader: `[section]` → {key: value}. */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {}
  let cur: Record<string, string> | undefined
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (!line || line.startsWith('#') || line.startsWith(';')) continue
    const sec = line.match(/^\[\s*(.+?)\s*\]$/)
    if (sec) {
      cur = out[sec[1]] ??= {}
      continue
    }
    const eq = line.indexOf('=')
    if (cur && eq > 0) cur[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim()
  }
  return out
}

function readIni(file: string): Record<string, Record<string, string>> | undefined {
  try {
    return existsSync(file) ? parseIni(readFileSync(file, 'utf8')) : undefined
  } catch {
    return undefined
  }
}

function tilde(path: string, home: string): string {
  return path.startsWith(home + '/') ? '~' + path.slice(home.length) : path
}

export function awsCredentials(env: Env, home: string): CredentialResult {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { found: true, detail: 'AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment variables' }
  }
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN && existsSync(env.AWS_WEB_IDENTITY_TOKEN_FILE)) {
    return { found: true, detail: `web identity token ${env.AWS_WEB_IDENTITY_TOKEN_FILE} for ${env.AWS_ROLE_ARN}` }
  }
  const profile = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE || 'default'
  const credFile = env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials')
  const cfgFile = env.AWS_CONFIG_FILE || join(home, '.aws', 'config')
  const creds = readIni(credFile)
  const p = creds?.[profile]
  if (p?.aws_access_key_id && p.aws_secret_access_key) {
    return { found: true, detail: `${tilde(credFile, home)} (profile '${profile}')` }
  }
  const cfg = readIni(cfgFile)
  const c = cfg?.[profile === 'default' ? 'default' : `profile ${profile}`] ?? cfg?.[profile]
  if (c) {
    if (c.aws_access_key_id && c.aws_secret_access_key) {
      return { found: true, detail: `${tilde(cfgFile, home)} (profile '${profile}')` }
    }
    const kind = c.sso_session || c.sso_start_url ? 'SSO' : c.credential_process ? 'credential_process' : c.role_arn ? 'assumed role' : undefined
    if (kind) return { found: true, detail: `${tilde(cfgFile, home)} (profile '${profile}', ${kind})` }
  }
  const others = Object.keys(creds ?? {})
  const hint =
    others.length > 0
      ? `profile '${profile}' has no keys in ${tilde(credFile, home)} (profiles there: ${others.join(', ')}); set AWS_PROFILE to one of them`
      : `no AWS credentials found: run \`aws configure\` (writes ${tilde(credFile, home)}) or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`
  return { found: false, detail: hint }
}

/** GCP credentials and project as Google's tools find them (src/core/provision/gcp/credentials.ts). */
export function gcpCredentials(env: Env, home: string): CredentialResult {
  const c = resolveGcp(env, home)
  return { found: c.found, detail: describeGcpCredentials(c) }
}
