// sky serve up [-n NAME] SERVICE_YAML: record the service, print its endpoint and the Useful
// Commands block. Replicas start in the background (sky serve status shows them).
import { defineCommand } from 'citty'
import { UsageError } from '../../../core/errors'
import { serviceTask } from '../../../core/serve/service-ops'
import { up } from '../../../api/ops/serve'
import { asyncArg, positionals, yesArg } from '../../args'
import { finish, sky } from '../../client'
import { loadEntrypoint, taskYaml } from '../../entrypoint'
import { info, out } from '../../output'
import { confirm } from '../../prompt'
import { usefulServeCommands } from '../../render/serve'
import { taskArgs } from '../../task-args'
import { uploadForTask } from '../../uploads'

export default defineCommand({
  meta: { name: 'up', description: 'Start a service: replicas of the task behind a load balancer endpoint.' },
  args: {
    entrypoint: { type: 'positional', required: false, description: 'Service YAML (a task with a service: section).' },
    ...taskArgs,
    'service-name': { type: 'string', alias: 'n', description: 'Service name (default: the task name).', valueHint: 'name' },
    ...yesArg,
    ...asyncArg,
  },
  async run({ args, rawArgs }) {
    const pos = positionals(args)
    if (!pos.length) throw new UsageError('Give the service YAML: sky serve up -n NAME service.yaml')
    const dag = loadEntrypoint(pos, args, rawArgs)
    const yaml = taskYaml(dag)
    const task = serviceTask(yaml)
    const name = (args['service-name'] as string | undefined) ?? task.name
    if (!args.yes) {
      const q = `Launching a new service${name ? ` '${name}'` : ''}. Proceed?`
      if (!process.stdin.isTTY) throw new UsageError(`${q} — no terminal to ask on; pass -y to confirm.`)
      if (!(await confirm(q))) throw new UsageError('Aborted.')
    }
    const c = sky()
    // Files come from this machine: the workdir and file mounts are uploaded first.
    const uploads = await uploadForTask(c, task, { fileMounts: true })
    const r = await finish(await up({ task: yaml, service_name: name, uploads }, { client: c }), { async: !!args.async, name: 'sky.serve.up' })
    if (!r) return
    out('⚙︎ Service registered.')
    out(`Service name: ${r.service_name}`)
    out(`Endpoint URL: ${r.endpoint}`)
    info(usefulServeCommands(r.service_name, r.endpoint))
    out('\n✓ Service is spinning up and replicas will be ready shortly.')
  },
})
