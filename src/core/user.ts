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

/** The OS user name: $USER/$LOGNAME, else the passwd entry of our uid (Bun's userInfo can say "unknown"). */
export function osUserName(): string {
  const env = process.env.USER || process.env.LOGNAME
  if (env) return env
  try {
    const n = userInfo().username
    if (n && n !== 'unknown') return n
  } catch {}
  try {
    const uid = process.getuid?.()
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.split(':')[2] === String(uid))
    if (line) return line.split(':')[0]!
  } catch {}
  return 'user'
}

export function localUser(): UserIdentity {
  if (cached) return cached
  const file = paths.userHash()
  let id = existsSync(file) ? readFileSync(file, 'utf8').trim() : ''
  if (!/^[0-9a-f]{8}$/.test(id)) {
    id = randomBytes(4).toString('hex')
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, id)
  }
  cached = { id, name: osUserName() }
  return cached
}
