// Put the task's files on every node: the workdir into ~/sky_workdir (a local directory, or a git
// repository cloned there), local file_mounts at their destination paths. Cloud URIs and buckets
// need a storage backend this build does not have (the optimizer keeps such tasks off local/SSH).
import { existsSync } from 'node:fs'
import { ValidationError } from '../errors'
import { provisionerFor } from '../provision/registry'
import type { ClusterHandle } from '../provision/types'
import type { Task } from '../task/types'
import { syncGitWorkdir } from './git-workdir'

export const WORKDIR = '~/sky_workdir'

export async function syncFiles(handle: ClusterHandle, task: Task, log: (l: string) => void, opts: { fileMounts: boolean }): Promise<void> {
  const p = await provisionerFor(handle.infra)
  const uploads: { src: string; dst: string }[] = []
  if (typeof task.workdir === 'string') uploads.push({ src: task.workdir, dst: WORKDIR })
  if (task.workdir && typeof task.workdir === 'object') await syncGitWorkdir(p, handle, task, task.workdir, log)
  if (opts.fileMounts) {
    for (const [dst, m] of Object.entries(task.fileMounts)) {
      if (m.kind === 'local') uploads.push({ src: m.source, dst })
      else {
        throw new ValidationError([
          { path: `file_mounts.${dst}`, message: `${m.kind === 'uri' ? `'${m.source}'` : 'storage objects'} need a cloud storage backend, which this build does not have; use a local path` },
        ])
      }
    }
  }
  if (!uploads.length) return
  for (const u of uploads) {
    if (!existsSync(u.src)) throw new ValidationError([{ path: u.dst === WORKDIR ? 'workdir' : `file_mounts.${u.dst}`, message: `local path '${u.src}' does not exist` }])
  }
  log('⚙︎ Syncing files.')
  await Promise.all(
    handle.nodes.map(async (_, rank) => {
      const r = p.runner(handle, rank)
      try {
        for (const u of uploads) await r.upload(u.src, u.dst)
      } finally {
        await r.close()
      }
    }),
  )
}
