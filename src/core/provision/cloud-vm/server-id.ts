// Which API server made a cloud resource: a random id kept in $SKY_HOME/server_id, put on every
// instance (TAG_SERVER). Orphan reconciliation only ever touches instances carrying this server's
// id, so a laptop's local server never reaps a team server's clusters in the same account.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { paths } from '../../paths'

let cached: { home: string; id: string } | undefined

export function serverId(): string {
  const home = paths.home()
  if (cached?.home === home) return cached.id
  const file = join(home, 'server_id')
  let id = existsSync(file) ? readFileSync(file, 'utf8').trim() : ''
  if (!/^[0-9a-f]{12}$/.test(id)) {
    mkdirSync(home, { recursive: true })
    const fresh = randomBytes(6).toString('hex')
    try {
      writeFileSync(file, fresh, { flag: 'wx' })
      id = fresh
    } catch {
      id = readFileSync(file, 'utf8').trim() // another process made it first
    }
  }
  cached = { home, id }
  return id
}
