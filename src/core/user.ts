// The local user's identity: the OS user name and a stable 8-hex hash kept in $SKY_HOME/user_hash
// (SkyPilot's format), so clusters launched by this user keep their owner across sessions.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { dirname } from 'node:path'
import { paths } from './paths'

export interface UserIdentity {
  id: string
  name: string
}

let cached: UserIdentity | undefined

export function localUser(): UserIdentity {
  if (cached) return cached
  const file = paths.userHash()
  let id = existsSync(file) ? readFileSync(file, 'utf8').trim() : ''
  if (!/^[0-9a-f]{8}$/.test(id)) {
    id = randomBytes(4).toString('hex')
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, id)
  }
  let name = process.env.USER || ''
  try {
    name = userInfo().username || name
  } catch {}
  cached = { id, name: name || 'user' }
  return cached
}
