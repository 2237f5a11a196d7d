// sky exec CLUSTER ENTRYPOINT: queue a task's run command on an existing cluster (workdir synced,
// no setup, no file mounts). As in SkyPilot, the cluster may also be given with -c/--cluster.
import { defineCommand } from 'citty'
import { UsageError } from '../../core/errors'
import { exec as execOp } from '../../api/ops/jobs'
import { asyncArg, positionals } from '../args'
import { finish, sky } from '../client'
import { loadEntrypoint, taskYaml } from '../entrypoint'
import { throwUnlessSucceeded } from '../job-exit'
import { checkGitWorkdirs, warnLargeUploads, warnTaskConfig } from '../prelaunch'
import { taskArgs } from '../task-args'
import { uploadForTask } from '../uploads'
import { DESCRIPTIONS } from './descriptions'

export default defineCommand({
  meta: { name: 'exec', description: DESCRIPTIONS.exec },
  args: {
    cluster: { type: 'positional', required: false, description: 'Cluster name (or give it with -c).' },
    entrypoint: { type: 'positional', required: false, description: 'Task YAML file, or a shell command (after --).' },
    'cluster-name': { type: 'string', alias: 'c', description: 'Cluster name, instead of the first argument.' },
    'detach-run': { type: 'boolean', alias: 'd', description: 'Return once the job is submitted.' },
    ...taskArgs,
    ...asyncArg,
  },
  async run({ args, rawArgs }) {
    const words = positionals(args)
    const flagged = args['cluster-name'] as string | undefined
    const cluster = flagged ?? words[0]
    const entry = flagged ? words : words.slice(1)
    if (!cluster) throw new UsageError('Give the cluster to run on: sky exec CLUSTER TASK.yaml (or -c CLUSTER).')
    if (!entry.length) throw new UsageError(`Give a task YAML or a command to run, e.g. sky exec ${cluster} -- python train.py`)
    const dag = loadEntrypoint(entry, args, rawArgs)
    if (dag.tasks.length !== 1) throw new UsageError(`sky exec runs one task; this YAML has ${dag.tasks.length}.`)
    await checkGitWorkdirs(dag)
    await warnLargeUploads(dag)
    warnTaskConfig(dag)
    const uploads = await uploadForTask(sky(), dag.tasks[0]!, { fileMounts: false })
    const id = await execOp({ task: taskYaml(dag), cluster_name: cluster, detach_run: !!args['detach-run'], uploads })
    throwUnlessSucceeded(cluster, await finish(id, { stream: true, async: !!args.async, name: 'sky.exec' }))
  },
})
