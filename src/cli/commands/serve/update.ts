// sky serve update NAME SERVICE_YAML [--mode rolling|blue_green]: a new version of the service.
import { defineCommand } from 'citty'
import { UsageError } from '../../../core/errors'
import { serviceTask } from '../../../core/serve/service-ops'
import { update } from '../../../api/ops/serve'
import { asyncArg, positionals, yesArg } from '../../args'
import { finish, sky } from '../../client'
import { loadEntrypoint, taskYaml } from '../../entrypoint'
import { out } from '../../output'
import { confirm } from '../../prompt'
import { uploadForTask } from '../../uploads'

export default defineCommand({
  meta: { name: 'update', description: 'Update a service to a new version (rolling by default, or blue_green).' },
  args: {
    service: { type: 'positional', required: false, description: 'Service name.' },
    entrypoint: { type: 'positional', required: false, description: 'The new service YAML.' },
    mode: { type: 'string', description: 'rolling (default): replace replicas as new ones become ready; blue_green: switch traffic once enough are ready.', valueHint: 'mode' },
    ...yesArg,
    ...asyncArg,
  },
  async run({ args, rawArgs }) {
    const [name, ...entry] = positionals(args)
    if (!name || !entry.length) throw new UsageError('Usage: sky serve update SERVICE_NAME SERVICE_YAML [--mode rolling|blue_green]')
    const mode = (args.mode as string | undefined) ?? 'rolling'
    if (mode !== 'rolling' && mode !== 'blue_green') throw new UsageError(`--mode must be rolling or blue_green, not '${mode}'.`)
    const yaml = taskYaml(loadEntrypoint(entry, args, rawArgs))
    const task = serviceTask(yaml)
    if (!args.yes) {
      const q = `Updating service '${name}' (${mode}). Proceed?`
      if (!process.stdin.isTTY) throw new UsageError(`${q} — no terminal to ask on; pass -y to confirm.`)
      if (!(await confirm(q))) throw new UsageError('Aborted.')
    }
    const c = sky()
    const uploads = await uploadForTask(c, task, { fileMounts: true })
    const r = await finish(await update({ task: yaml, service_name: name, mode, uploads }, { client: c }), { async: !!args.async, name: 'sky.serve.update' })
    if (!r) return
    out(`✓ Service '${r.service_name}' is updating to version ${r.version} (${mode}).`)
    out(`Check the new replicas with: sky serve status ${r.service_name}`)
  },
})
