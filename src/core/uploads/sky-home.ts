// What of SKY_HOME a sync may never touch: SKY_HOME itself and sky's own entries in it (the state
// database and its WAL, the server's directory, keys, node directories, generated files, ...).
// A directory of the user's that happens to live inside SKY_HOME may be synced; a directory that
// contains SKY_HOME is synced without it.
import { realpathSync } from 'node:fs'
import { relative, sep } from 'node:path'
import { paths } from '../paths'

const OWN = new Set(['api_server', 'clusters', 'config.yaml', 'generated', 'keys', 'known_hosts', 'local', 'ssh_hosts.json', 'ssh_node_pools.yaml', 'user_hash'])

export function realOrSelf(p: string): string {
  try {
    return realpathSync(p)
  } catch {
    return p
  }
}

export function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child)
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !rel.startsWith(sep))
}

/** Whether a (real) path is SKY_HOME itself or inside one of sky's own entries there. */
export function isSkyOwnPath(real: string, home = realOrSelf(paths.home())): boolean {
  if (!isInside(real, home)) return false
  const rel = relative(home, real)
  if (rel === '') return true
  const top = rel.split(sep)[0]!
  return OWN.has(top) || top.startsWith('.') || /\.db(-wal|-shm|-journal)?$/.test(top)
}
