// sky jobs launch: record a managed job (YAML, a pipeline of several documents, or an inline
// command) and stream its logs; -d / --async return once it is recorded (PENDING).
import { defineCommand } from 'citty'
import { UsageError } from '../../../core/errors'
import { validateJobDag } from '../../../core/jobs/submit'
import { RECOVERY_STRATEGIES } from '../../../core/jobs/recovery'
import type { Dag } from '../../../core/task/types'
import { optimize } from '../../../api/ops/catalog'
import { launch } from '../../../api/ops/managed-jobs'
import { asyncArg, positionals, yesArg } from '../../args'
import { finish, sky } from '../../client'
import { loadEntrypoint, taskYaml } from '../../entrypoint'
import { info, out } from '../../output'
import { confirm } from '../../prompt'
import { usefulJobCommands } from '../../render/jobs'
import { uploadForTask } from '../../uploads'
import { redactSecretArgs, taskArgs } from '../../task-args'
import { followJob } from './follow'

function withRecovery(dag: Dag, strategy: string | undefined): Dag {
  if (strategy === undefined) return dag
  const s = strategy.trim().toUpperCase()
  if (!(RECOVERY_STRATEGIES as readonly string[]).includes(s)) {
    throw new UsageError(`--job-recovery: '${strategy}' is not a recovery strategy; use one of ${RECOVERY_STRATEGIES.join(', ')}.`)
  }
  return {
    ...dag,
    tasks: dag.tasks.map((t) => ({
      ...t,
      resources: { ...t.resources, candidates: t.resources.candidates.map((c) => ({ ...c, jobRecovery: { ...c.jobRecovery, strategy: s } })) },
    })),
  }
}

export default defineCommand({
  meta: { name: 'launch', description: 'Launch a managed job: a cluster per task, recovered from preemption and failures.' },
  args: {
    entrypoint: { type: 'positional', required: false, description: 'Task YAML (several documents = a pipeline), or a shell command (after --).' },
    ...taskArgs,
    name: { type: 'string', alias: ['n', 'c'], description: 'Job name (for a single task also its name).', valueHint: 'name' },
    'job-recovery': { type: 'string', description: `Recovery strategy: ${RECOVERY_STRATEGIES.join(' or ')} (default EAGER_NEXT_REGION).`, valueHint: 'strategy' },
    'detach-run': { type: 'boolean', alias: 'd', description: 'Return once the job is recorded, without streaming its logs.' },
    ...yesArg,
    ...asyncArg,
  },
  async run({ args, rawArgs }) {
    const name = args.name as string | undefined
    // -n names the job (not every task of a pipeline), so it is applied here, not as an override.
    const dag = withRecovery(loadEntrypoint(positionals(args), { ...args, name: undefined }, rawArgs), args['job-recovery'] as string | undefined)
    const yaml = taskYaml(dag)
    const named = validateJobDag(yaml, name)
    const c = sky()
    if (!args.yes) {
      const plan = await finish(await optimize({ task: yaml, dryrun: true }, { client: c }))
      if (plan?.plan_text) info(`Managed job '${named.name}' will be launched on (estimated):\n${plan.plan_text}\n`)
      const q = `Launching a managed job '${named.name}'. Proceed?`
      if (!process.stdin.isTTY) throw new UsageError(`${q} — no terminal to ask on; pass -y to confirm.`)
      if (!(await confirm(q))) throw new UsageError('Aborted.')
    }
    // Files come from this machine: each task's workdir and file mounts are uploaded first.
    const uploads = await Promise.all(named.tasks.map(async (t) => (await uploadForTask(c, t, { fileMounts: true })) ?? null))
    const entrypoint = `sky ${['jobs', 'launch', ...redactSecretArgs(rawArgs)].join(' ')}`.slice(0, 1000)
    const id = await launch({ task: yaml, name, uploads: uploads.some(Boolean) ? uploads : undefined, entrypoint }, { client: c })
    const r = await finish(id)
    if (!r) return
    out(`✓ Managed job '${r.name}' submitted, ID: ${r.job_id}`)
    if (args['detach-run'] || args.async) {
      info(usefulJobCommands(r.job_id))
      return
    }
    const code = await followJob({ jobId: r.job_id, follow: true })
    info(usefulJobCommands(r.job_id))
    if (code) process.exitCode = code
  },
})

