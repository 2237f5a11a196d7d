// Credentials for a deployed API server, kept for this browser tab only (sessionStorage) and sent
// with every API call: HTTP Basic for a user's password, Bearer for a service-account token.

const KEY = 'sky.dashboard.auth'

export interface Credentials {
  /** basic/token: Authorization header; local: a local server's token (X-Sky-Local-Token). */
  kind: 'basic' | 'token' | 'local'
  /** User name (basic) or a label for the token. */
  name: string
  header: string
}

function b64(s: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(s)))
}

export function basicCredentials(user: string, password: string): Credentials {
  return { kind: 'basic', name: user, header: `Basic ${b64(`${user}:${password}`)}` }
}

export function tokenCredentials(token: string): Credentials {
  return { kind: 'token', name: 'service account', header: `Bearer ${token.trim()}` }
}

export function localCredentials(token: string): Credentials {
  return { kind: 'local', name: 'local', header: token }
}

export function loadCredentials(): Credentials | undefined {
  try {
    const raw = sessionStorage.getItem(KEY)
    return raw ? (JSON.parse(raw) as Credentials) : undefined
  } catch {
    return undefined
  }
}

export function saveCredentials(c: Credentials): void {
  sessionStorage.setItem(KEY, JSON.stringify(c))
}

export function clearCredentials(): void {
  sessionStorage.removeItem(KEY)
}

/** The header carrying this tab's credentials, if any. */
export function authHeader(): [string, string] | undefined {
  const c = loadCredentials()
  if (!c) return undefined
  return [c.kind === 'local' ? 'x-sky-local-token' : 'authorization', c.header]
}
