// Identity on a local (not --deploy) server. It acts as the Unix user who started it, so only
// that user may call it: every route but the open ones needs the secret in
// $SKY_HOME/api_server/local.token (0600, in a 0700 SKY_HOME), which the client reads and sends
// in X-Sky-Local-Token. Other users on the machine cannot read the file, so they cannot act
// through this server. The dashboard gets the secret through a one-time code that `sky dashboard`
// asks for (the page exchanges it at POST /api/dashboard/session).
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { AuthRequiredError } from '../../core/errors'
import { isOpenPath, pathOf } from './deploy'

export const HEADER_LOCAL_TOKEN = 'x-sky-local-token'

const CODE_TTL_MS = 120_000

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

export interface LocalAuth {
  /** Whether the request carries the owner's token. */
  valid(req: Request): boolean
  guard(req: Request): Promise<void>
  /** A one-time code for the dashboard (valid two minutes). */
  newCode(): string
  /** The token for a valid unused code (then forgotten), else undefined. */
  redeem(code: string): string | undefined
}

export function localAuth(token: string): LocalAuth {
  const codes = new Map<string, number>()
  const valid = (req: Request) => {
    const got = req.headers.get(HEADER_LOCAL_TOKEN)
    return !!got && sameSecret(got, token)
  }
  return {
    valid,
    async guard(req) {
      if (isOpenPath(pathOf(req.url)) || valid(req)) return
      const got = req.headers.get(HEADER_LOCAL_TOKEN)
      throw new AuthRequiredError(
        got
          ? 'The local API server refused this token: it serves only the Unix user who started it.'
          : 'This local API server serves only the Unix user who started it, and this request did not present its token.',
        { hint: 'Use sky as that user (it reads $SKY_HOME/api_server/local.token), or start a server of your own on another port: SKYPILOT_API_SERVER_ENDPOINT=http://127.0.0.1:<port> sky api start' },
      )
    },
    newCode() {
      const now = Date.now()
      for (const [c, until] of codes) if (until < now) codes.delete(c)
      if (codes.size > 1000) codes.clear()
      const code = randomBytes(16).toString('hex')
      codes.set(code, now + CODE_TTL_MS)
      return code
    },
    redeem(code) {
      const until = codes.get(code)
      if (until === undefined) return undefined
      codes.delete(code)
      return until >= Date.now() ? token : undefined
    },
  }
}
