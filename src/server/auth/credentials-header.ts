// The Authorization header: HTTP Basic (user:password from the endpoint URL) or a Bearer
// service-account token.
export type Presented =
  | { kind: 'basic'; name: string; password: string }
  | { kind: 'bearer'; token: string }
  | { kind: 'malformed'; why: string }

export function parseAuthorization(header: string | null): Presented | undefined {
  if (!header) return undefined
  const sp = header.indexOf(' ')
  const scheme = (sp < 0 ? header : header.slice(0, sp)).toLowerCase()
  const value = sp < 0 ? '' : header.slice(sp + 1).trim()
  if (scheme === 'bearer') return value ? { kind: 'bearer', token: value } : { kind: 'malformed', why: 'empty bearer token' }
  if (scheme === 'basic') {
    let decoded: string
    try {
      decoded = Buffer.from(value, 'base64').toString('utf8')
    } catch {
      return { kind: 'malformed', why: 'basic credentials are not base64' }
    }
    const i = decoded.indexOf(':')
    if (i <= 0) return { kind: 'malformed', why: 'basic credentials must be user:password' }
    return { kind: 'basic', name: decoded.slice(0, i), password: decoded.slice(i + 1) }
  }
  return { kind: 'malformed', why: `unsupported authorization scheme '${scheme}'` }
}
