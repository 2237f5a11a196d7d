// sky jobs logs [JOB_ID]: a managed job's output (all its tasks), following it to the end; exit
// code by its final status (0 SUCCEEDED, 100 failed, 101 not finished, 103 CANCELLED).
import { defineCommand } from 'citty'
import { UsageError } from '../../../core/errors'
import { positionals } from '../../args'
import { followJob } from './follow'

export default defineCommand({
  meta: { name: 'logs', description: "Stream a managed job's logs (your latest job by default)." },
  args: {
    job: { type: 'positional', required: false, description: 'Managed job id.' },
    name: { type: 'string', alias: 'n', description: 'Job name instead of an id.', valueHint: 'name' },
    follow: { type: 'boolean', default: true, description: 'Follow until the job ends (--no-follow prints what exists).' },
    controller: { type: 'boolean', description: "The controller's log of the job (launches, recoveries, teardown)." },
    tail: { type: 'string', description: 'Only the last N lines (0 = all).', valueHint: 'n' },
  },
  async run({ args }) {
    const pos = positionals(args)
    if (pos.length > 1) throw new UsageError('Give one managed job id.')
    let jobId: number | undefined
    if (pos[0] !== undefined) {
      jobId = Number(pos[0])
      if (!Number.isInteger(jobId) || jobId < 1) throw new UsageError(`Job id '${pos[0]}' must be a positive integer.`)
      if (args.name) throw new UsageError('Give a job id or -n NAME, not both.')
    }
    const tail = args.tail === undefined ? undefined : Number(args.tail)
    if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) throw new UsageError(`--tail: '${args.tail}' must be a non-negative integer.`)
    const code = await followJob({ jobId, name: args.name as string | undefined, follow: args.follow !== false, controller: !!args.controller, tail })
    if (code) process.exitCode = code
  },
})
