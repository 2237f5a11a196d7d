// sky exec CLUSTER ENTRYPOINT: queue a task's run command on an existing cluster (workdir synced,
// no setup, no file mounts).
import { defineCommand } from 'citty'
import { UsageError } from '../../core/errors'
import { exec as execOp } from '../../sdk/ops'
import { asyncArg, positionals } from '../args'
import { finish, sky } from '../client'
import { loadEntrypoint, taskYaml } from '../entrypoint'
import { taskArgs } from '../task-args'
import { jobExit } from './launch'
import { DESCRIPTIONS } from './descriptions'

export default defineCommand({
  meta: { name: 'exec', description: DESCRIPTIONS.exec },
  args: {
    cluster: { type: 'positional', required: true, description: 'Cluster name.' },
    'detach-run': { type: 'boolean', alias: 'd', description: 'Return once the job is submitted.' },
    ...taskArgs,
    ...asyncArg,
  },
  async run({ args, rawArgs }) {
    const entry = positionals(args).slice(1)
    if (!entry.length) throw new UsageError('Give a task YAML or a command to run, e.g. sky exec mycluster -- python train.py')
    const dag = loadEntrypoint(entry, args, rawArgs)
    if (dag.tasks.length !== 1) throw new UsageError(`sky exec runs one task; this YAML has ${dag.tasks.length}.`)
    const id = await execOp(sky(), taskYaml(dag), args.cluster, { detachRun: !!args['detach-run'] })
    jobExit(await finish(id, { stream: true, async: !!args.async, name: 'sky.exec' }))
  },
})
