// Put the task's files on every node: the workdir into ~/sky_workdir (a local directory, or a git
// repository cloned there), local file_mounts at their destination paths. Sources and
// destinations are checked in src/core/uploads/sources.ts: a deployed server copies only what the
// client uploaded, SKY_HOME's own files are never copied, and destinations stay in the node's home
// or declared mount points. Cloud URIs and buckets need a storage backend this build does not
// have (the optimizer keeps such tasks off local/SSH).
import { ValidationError } from '../errors'
import { provisionerFor } from '../provision/registry'
import type { ClusterHandle } from '../provision/types'
import type { Task } from '../task/types'
import { syncSources, type UploadRefs, WORKDIR_DST } from '../uploads/sources'
import { syncGitWorkdir } from './git-workdir'

export const WORKDIR = WORKDIR_DST

export interface SyncOptions {
  fileMounts: boolean
  /** Manifests the client uploaded (a deployed server syncs nothing else). */
  uploads?: UploadRefs
  /** Whose uploads they are (needed with `uploads`). */
  userId?: string
}

/** Reject local sources and destinations that cannot be synced, before anything is provisioned. */
export async function checkSyncable(task: Task, o: SyncOptions & { infra?: string }): Promise<void> {
  await syncSources(task, { ...o, userId: o.userId ?? '', materialize: false })
}

export async function syncFiles(handle: ClusterHandle, task: Task, log: (l: string) => void, opts: SyncOptions): Promise<void> {
  const p = await provisionerFor(handle.infra)
  if (opts.fileMounts) {
    for (const [dst, m] of Object.entries(task.fileMounts)) {
      if (m.kind === 'local') continue
      throw new ValidationError([
        { path: `file_mounts.${dst}`, message: `${m.kind === 'uri' ? `'${m.source}'` : 'storage objects'} need a cloud storage backend, which this build does not have; use a local path` },
      ])
    }
  }
  if (task.workdir && typeof task.workdir === 'object') await syncGitWorkdir(p, handle, task, task.workdir, log)
  const uploads = await syncSources(task, { ...opts, userId: opts.userId ?? '', infra: handle.infra })
  if (!uploads.length) return
  log('⚙︎ Syncing files.')
  await Promise.all(
    handle.nodes.map(async (_, rank) => {
      const r = p.runner(handle, rank)
      try {
        for (const u of uploads) await r.upload(u.src, u.dst, { exclude: u.skip })
      } finally {
        await r.close()
      }
    }),
  )
}
