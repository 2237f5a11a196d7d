// Before launch and exec: upload the task's workdir and local file mounts to a server that needs
// them (any but a local one) and say how much was actually sent.
import type { Task } from '../core/task/types'
import type { SkyClient } from '../sdk/client'
import { uploadTaskFiles, type UploadRefs } from '../sdk/uploads'
import { info } from './output'

const mb = (n: number) => `${(n / (1 << 20)).toFixed(1)} MB`

export async function uploadForTask(c: SkyClient, task: Task, o: { fileMounts: boolean }): Promise<UploadRefs | undefined> {
  const r = await uploadTaskFiles(c, task, o)
  if (!r || r.stats.files === 0) return r?.refs
  const { files, bytes, sentFiles, sentBytes } = r.stats
  info(sentFiles ? `Uploaded ${sentFiles} of ${files} files (${mb(sentBytes)} of ${mb(bytes)}); the rest were already on the server.` : `Files unchanged (${files}, ${mb(bytes)}); nothing uploaded.`)
  return r.refs
}
