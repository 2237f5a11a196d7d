// The client's side of a local server's identity: it reads the token the server keeps in
// $SKY_HOME/api_server/local.token and presents it, but only to a server run by the same Unix
// user: on Linux the listening socket's owner is looked up in /proc/net/tcp first, so a server
// another user runs on the port (by mistake or to collect tokens) never receives ours.
import { existsSync, readFileSync } from 'node:fs'
import { AuthRequiredError } from '../core/errors'
import { paths } from '../core/paths'

export function readLocalToken(): string | undefined {
  const file = paths.localToken()
  if (!existsSync(file)) return undefined
  try {
    return readFileSync(file, 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}

function hexPort(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0')
}

/**
 * The uid owning the socket listening on `port` on a loopback address, from /proc/net/tcp{,6};
 * undefined when it cannot be told (not Linux, or nothing listens).
 */
export function listenerUid(port: number): number | undefined {
  const want = `:${hexPort(port)}`
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = readFileSync(f, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid ...; st 0A = LISTEN
      if (cols.length < 8 || cols[3] !== '0A' || !cols[1]!.endsWith(want)) continue
      return Number(cols[7])
    }
  }
  return undefined
}

/** Throw when the local server on `port` belongs to another Unix user. */
export function checkListenerIsOurs(port: number, url: string): void {
  const mine = process.getuid?.()
  if (mine === undefined) return
  const owner = listenerUid(port)
  if (owner === undefined || owner === mine) return
  throw new AuthRequiredError(`The API server at ${url} is run by another Unix user (uid ${owner}); it will not act for you.`, {
    hint: `Use a port of your own: SKYPILOT_API_SERVER_ENDPOINT=http://127.0.0.1:<port> sky status  (a server starts there for you)`,
  })
}
