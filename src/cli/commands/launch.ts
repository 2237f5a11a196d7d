// sky launch: launch a cluster (or reuse one) and run a task on it, streaming its output.
import { defineCommand } from 'citty'
import { randomBytes } from 'node:crypto'
import { UsageError } from '../../core/errors'
import { osUserName } from '../../core/user'
import { optimize as optimizeOp } from '../../api/ops/catalog'
import { launch as launchOp } from '../../api/ops/clusters'
import type { Static } from '@sinclair/typebox'
import type { WaitFor as WaitForSchema } from '../../api/schemas'
import { asyncArg, positionals, yesArg } from '../args'
import { finish, sky } from '../client'
import { loadEntrypoint, taskYaml } from '../entrypoint'
import { throwUnlessSucceeded } from '../job-exit'
import { checkGitWorkdirs, warnLargeUploads, warnTaskConfig } from '../prelaunch'
import { out } from '../output'
import { confirm } from '../prompt'
import { taskArgs } from '../task-args'
import { uploadForTask } from '../uploads'
import { redactSecretArgs } from '../task-args'
import { DESCRIPTIONS } from './descriptions'

export function generatedClusterName(): string {
  const user = osUserName().toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 20) || 'user'
  return `sky-${randomBytes(2).toString('hex')}-${user}`
}

type WaitFor = Static<typeof WaitForSchema>
export const WAIT_FOR = ['jobs_and_ssh', 'jobs', 'none']

/** `--wait-for`: what counts as activity for autostop. */
export function parseWaitFor(v: unknown): WaitFor | undefined {
  if (v === undefined) return undefined
  const s = String(v).toLowerCase()
  if (!WAIT_FOR.includes(s)) throw new UsageError(`--wait-for: '${v}' must be one of ${WAIT_FOR.join(', ')}.`)
  return s as WaitFor
}

export default defineCommand({
  meta: { name: 'launch', description: DESCRIPTIONS.launch },
  args: {
    entrypoint: { type: 'positional', required: false, description: 'Task YAML file, or a shell command (after --).' },
    cluster: { type: 'string', alias: 'c', description: 'Cluster name (reused if it exists; generated if omitted).' },
    dryrun: { type: 'boolean', description: 'Print the plan and change nothing.' },
    'detach-run': { type: 'boolean', alias: 'd', description: 'Return once the job is submitted, without streaming its logs.' },
    'idle-minutes-to-autostop': { type: 'string', alias: 'i', description: 'Stop the cluster after this many idle minutes.' },
    down: { type: 'boolean', description: 'Tear the cluster down when its jobs are done (with -i: after that many idle minutes).' },
    'wait-for': { type: 'string', description: 'What keeps the cluster from autostopping: jobs_and_ssh (default), jobs, none.' },
    'retry-until-up': { type: 'boolean', alias: 'r', description: 'Keep retrying until some candidate has capacity.' },
    setup: { type: 'boolean', default: true, description: 'Run setup (use --no-setup to skip it).' },
    ...taskArgs,
    ...yesArg,
    ...asyncArg,
  },
  async run({ args, rawArgs }) {
    const dag = loadEntrypoint(positionals(args), args, rawArgs, { dryrun: !!args.dryrun })
    if (dag.tasks.length !== 1 && !args.dryrun) throw new UsageError(`sky launch runs one task; this YAML has ${dag.tasks.length}. Use sky jobs launch for pipelines.`)
    await checkGitWorkdirs(dag, { warnOnly: !!args.dryrun })
    await warnLargeUploads(dag)
    warnTaskConfig(dag)
    const yaml = taskYaml(dag)
    const name = args.cluster ?? generatedClusterName()
    let idle: number | undefined
    if (args['idle-minutes-to-autostop'] !== undefined) {
      idle = Number(args['idle-minutes-to-autostop'])
      if (!Number.isInteger(idle) || idle < 0) throw new UsageError(`--idle-minutes-to-autostop: '${args['idle-minutes-to-autostop']}' must be a whole number of minutes (>= 0).`)
    }
    const waitFor = parseWaitFor(args['wait-for'])
    let planShown = false
    if (args.dryrun || !args.yes) {
      const plan = await finish(await optimizeOp({ task: yaml, cluster_name: name, dryrun: !!args.dryrun }))
      if (plan?.plan_text) {
        out(plan.plan_text + '\n')
        planShown = true
      }
      if (args.dryrun) {
        if (plan?.cluster_status) out(`Cluster '${name}' exists (${plan.cluster_status}); the task would run on it.`)
        return
      }
      const question = !plan?.cluster_status
        ? `Launching a new cluster '${name}'. Proceed?`
        : plan.cluster_status === 'STOPPED'
          ? `Restarting the stopped cluster '${name}'. Proceed?`
          : undefined
      if (question && !(await confirm(question))) throw new UsageError('Aborted.')
    }
    const uploads = await uploadForTask(sky(), dag.tasks[0]!, { fileMounts: true })
    const id = await launchOp({
      task: yaml,
      cluster_name: name,
      retry_until_up: !!args['retry-until-up'],
      idle_minutes_to_autostop: idle,
      down: !!args.down,
      autostop_down: !!args.down && idle !== undefined,
      no_setup: args.setup === false,
      detach_run: !!args['detach-run'],
      wait_for: waitFor,
      quiet_optimizer: planShown,
      command: `sky ${['launch', ...redactSecretArgs(rawArgs)].join(' ')}`.slice(0, 500),
      uploads,
    })
    throwUnlessSucceeded(name, await finish(id, { stream: true, async: !!args.async, name: 'sky.launch' }))
  },
})
