// `sky jobs logs`: a job's output, task after task (or its controller log), following it until
// the job is final. The copies the controller keeps are read, so logs outlive the clusters.
import type { LogStore } from '../../server/requests/log-store'
import type { Store } from '../state/store'
import type { JobLogs } from './logs'
import { isTerminalJob, type ManagedJobStatus } from './types'

export interface TailOptions {
  follow: boolean
  controller: boolean
  /** Only the last N lines of each log (0 = all). */
  tail: number
  write: (text: string) => void
  signal: AbortSignal
  pollMs?: number
}

async function tailOffset(logs: LogStore, key: string, lines: number): Promise<number> {
  if (!lines) return 0
  const size = await logs.size(key)
  const { data } = await logs.read(key, 0, size)
  let seen = 0
  for (let i = data.length - 2; i >= 0; i--) if (data[i] === 10 && ++seen === lines) return i + 1
  return 0
}

/** Copy everything from offset on; returns the new offset. */
async function pump(logs: LogStore, key: string, offset: number, write: (s: string) => void, dec: TextDecoder): Promise<number> {
  for (;;) {
    const { data, next } = await logs.read(key, offset)
    if (!data.length) return offset
    write(dec.decode(data, { stream: true }))
    offset = next
  }
}

/** Stream the job's logs; resolves with its status when done (final, or now with follow off). */
export async function tailJobLogs(store: Store, logs: JobLogs, jobId: number, o: TailOptions): Promise<ManagedJobStatus> {
  const poll = o.pollMs ?? 150
  const job = async () => (await store.managedJobs.getWithTasks(jobId))!
  let j = await job()
  if (o.controller) {
    const key = logs.controllerKey(jobId)
    const dec = new TextDecoder()
    let off = await tailOffset(logs.store, key, o.tail)
    for (;;) {
      off = await pump(logs.store, key, off, o.write, dec)
      if (!o.follow || isTerminalJob(j.status) || o.signal.aborted) break
      await Bun.sleep(poll)
      j = await job()
    }
    await pump(logs.store, key, off, o.write, dec)
    return j.status
  }
  let announced = ''
  for (let taskId = 0; taskId < j.numTasks; taskId++) {
    const key = logs.taskKey(jobId, taskId)
    const dec = new TextDecoder()
    let off = await tailOffset(logs.store, key, o.tail)
    for (;;) {
      off = await pump(logs.store, key, off, o.write, dec)
      const t = j.tasks[taskId]!
      const taskDone = isTerminalJob(t.status)
      if (taskDone || !o.follow || o.signal.aborted) break
      if ((t.status === 'PENDING' || t.status === 'STARTING' || t.status === 'RECOVERING') && announced !== `${taskId}:${t.status}`) {
        announced = `${taskId}:${t.status}`
        const what = j.numTasks > 1 ? `Task ${taskId} of managed job ${jobId}` : `Managed job ${jobId}`
        o.write(t.status === 'RECOVERING' ? `↺ ${what} is RECOVERING; its output continues after the relaunch.\n` : `⚙︎ ${what} is ${t.status}; waiting for it to start.\n`)
      }
      await Bun.sleep(poll)
      j = await job()
    }
    await pump(logs.store, key, off, o.write, dec)
    if (!o.follow && !isTerminalJob(j.tasks[taskId]!.status)) break
    if (o.signal.aborted) break
  }
  // The job's own status settles after its last task's cluster is torn down.
  while (o.follow && !isTerminalJob(j.status) && !o.signal.aborted) {
    await Bun.sleep(poll)
    j = await job()
  }
  return j.status
}
