// Following a managed job's logs from the CLI (jobs launch and jobs logs): stream the logs
// request; Ctrl+C stops following (the job goes on) and says how to come back or cancel it.
import { InterruptedError } from '../../../core/errors'
import { logs } from '../../../api/ops/managed-jobs'
import { apiCancel } from '../../../api/ops/requests'
import { ctrlC, sky } from '../../client'
import { info } from '../../output'

export interface FollowOptions {
  jobId?: number
  name?: string
  follow: boolean
  controller?: boolean
  tail?: number
}

/** Stream the job's log; returns the exit code for its status (0, 100, 101, 103). */
export async function followJob(o: FollowOptions): Promise<number> {
  const c = sky()
  const id = await logs({ job_id: o.jobId, name: o.name, follow: o.follow, controller: o.controller, tail: o.tail }, { client: c })
  const ctrl = ctrlC()
  try {
    try {
      for await (const s of c.stream(id, { signal: ctrl.signal })) process.stdout.write(s)
    } catch (e) {
      if (!ctrl.interrupted) throw e
    }
    if (ctrl.interrupted) {
      await apiCancel({ request_ids: [id] }, { client: c }).catch(() => {})
      const job = o.jobId ?? o.name ?? ''
      info(`\n⚙︎ Stopped following; the managed job keeps running.\n├── To stream its logs again: sky jobs logs ${job}\n└── To cancel it: sky jobs cancel ${o.jobId ?? `-n ${o.name}`}`)
      throw new InterruptedError('')
    }
    const r = await c.get(id)
    return r.exit_code
  } finally {
    ctrl.dispose()
  }
}
