// Where a task's files come from on the server, and where they may go on a node.
//  - Sources: a deployed server (SKY_SERVER_DEPLOY in its workers) syncs only what the client
//    uploaded (manifests named by the request); it never reads its own disk for a client. A local
//    server may read the client's paths (same user, same machine), but never SKY_HOME: a source
//    inside it is refused and a workdir containing it leaves it out, so the live database is
//    never opened by a copy (which would drop SQLite's locks).
//  - Destinations: under the node's home (`~/x`, `x`), never above it (`~/../..`) nor into the
//    agent's runtime dir; absolute mount points are allowed where the node is a machine of its
//    own, never on the local infra (whose nodes are directories of this machine).
import { existsSync } from 'node:fs'
import { posix, relative, sep } from 'node:path'
import { ValidationError } from '../errors'
import { paths } from '../paths'
import type { Task } from '../task/types'
import { isInside, isSkyOwnPath, realOrSelf } from './sky-home'
import { UploadStore } from './store'

export interface UploadRefs {
  workdir?: string
  file_mounts?: Record<string, string>
}

export interface SyncSource {
  /** A local directory or file to copy from (on the server). */
  src: string
  dst: string
  /** The task field, for messages. */
  field: string
  /** Gitignore patterns (anchored) leaving paths out of a directory copy: SKY_HOME inside it. */
  skip: string[]
}

/** An anchored gitignore pattern matching exactly the directory `rel` under a sync root. */
export function anchoredDirPattern(rel: string): string {
  return '/' + rel.split(sep).join('/').replace(/[\\*?[\]]/g, (c) => `\\${c}`) + '/'
}

export const WORKDIR_DST = '~/sky_workdir'
const RUNTIME_DIRS = ['.sky-runtime', '.sky']

export function serverIsDeployed(): boolean {
  return process.env.SKY_SERVER_DEPLOY === '1'
}


/**
 * A destination as a path relative to the node's home ('x/y'), or an absolute mount point
 * ('/data'); throws ValidationError for anything that leaves the home or enters sky's own dirs.
 */
export function checkDestination(dst: string, field: string, infra: string | undefined): string {
  const bad = (message: string) => new ValidationError([{ path: field, message }])
  if (!dst || dst.includes('\0')) throw bad('the destination must be a path')
  if (dst.startsWith('/')) {
    if (infra === 'local') {
      throw bad(`absolute destinations are not allowed on the local infra (a node there is a directory of this machine); use a path under the node's home, e.g. ~${dst}`)
    }
    const norm = posix.normalize(dst)
    if (norm === '/' ) throw bad('the destination cannot be /')
    return norm
  }
  const rel = dst === '~' ? '.' : dst.startsWith('~/') ? dst.slice(2) : dst
  if (dst.startsWith('~') && dst !== '~' && !dst.startsWith('~/')) throw bad(`'${dst}' names another user's home; use ~/... or a path relative to the node's home`)
  const norm = posix.normalize(rel)
  if (norm === '..' || norm.startsWith('../')) throw bad(`'${dst}' leaves the node's home; use a path under ~`)
  if (norm === '.') throw bad('the destination cannot be the home directory itself; use a path under it, e.g. ~/data')
  const top = norm.split('/')[0]!
  if (RUNTIME_DIRS.includes(top)) throw bad(`'${dst}' is inside ~/${top}, which sky keeps for its agent; use another path`)
  return norm
}

/** Refuse a local source that is, or is inside, SKY_HOME; for a directory, what to skip in it. */
function localSource(src: string, field: string): string[] {
  if (!existsSync(src)) throw new ValidationError([{ path: field, message: `local path '${src}' does not exist` }])
  const home = realOrSelf(paths.home())
  const real = realOrSelf(src)
  if (isSkyOwnPath(real, home)) {
    throw new ValidationError([{ path: field, message: `'${src}' is inside SKY_HOME (${paths.home()}), whose own files are never synced: they hold the server's state` }])
  }
  return isInside(home, real) && home !== real ? [anchoredDirPattern(relative(real, home))] : []
}

/**
 * The copies a sync makes: workdir (when synced) and local file mounts (when `fileMounts`), from
 * uploads on a deployed server or the client's paths on a local one. Destinations are checked
 * for `infra` (undefined: before the infra is chosen, only the rules that hold everywhere).
 */
export async function syncSources(
  task: Pick<Task, 'workdir' | 'fileMounts'>,
  o: { fileMounts: boolean; uploads?: UploadRefs; userId: string; infra?: string; materialize?: boolean },
  // (materialize: false only checks: uploads exist and are the user's, local paths are allowed.)
): Promise<SyncSource[]> {
  const deployed = serverIsDeployed()
  const out: SyncSource[] = []
  const store = new UploadStore()
  const from = async (field: string, local: string, ref: string | undefined): Promise<{ src: string; skip: string[] }> => {
    if (ref) {
      if (o.materialize !== false) return { src: (await store.materialize(o.userId, ref)).path, skip: [] }
      await store.checkRegistered(o.userId, ref)
      return { src: '', skip: [] }
    }
    if (deployed) {
      throw new ValidationError([{ path: field, message: `'${local}' was not uploaded; this API server syncs only files its clients upload (sky uploads them itself; update the client)` }])
    }
    return { src: local, skip: localSource(local, field) }
  }
  if (typeof task.workdir === 'string') {
    const s = await from('workdir', task.workdir, o.uploads?.workdir)
    out.push({ ...s, dst: WORKDIR_DST, field: 'workdir' })
  }
  if (o.fileMounts) {
    for (const [dst, m] of Object.entries(task.fileMounts)) {
      if (m.kind !== 'local') continue
      const field = `file_mounts.${dst}`
      const norm = checkDestination(dst, field, o.infra)
      const s = await from(field, m.source, o.uploads?.file_mounts?.[dst])
      out.push({ ...s, dst: norm.startsWith('/') ? norm : norm === '.' ? '~' : `~/${norm}`, field })
    }
  }
  return out
}
