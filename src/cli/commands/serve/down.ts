// sky serve down NAMES... | -a [--purge] [--replica-id N]: tear services (or one replica) down.
import { defineCommand } from 'citty'
import { UsageError } from '../../../core/errors'
import { down } from '../../../api/ops/serve'
import { asyncArg, positionals, yesArg } from '../../args'
import { finish, sky } from '../../client'
import { confirm } from '../../prompt'

export default defineCommand({
  meta: { name: 'down', description: 'Tear services down: every replica, the load balancer, the endpoint port.' },
  args: {
    services: { type: 'positional', required: false, description: 'Service names.' },
    all: { type: 'boolean', alias: 'a', description: 'All of your services.' },
    purge: { type: 'boolean', alias: 'p', description: 'Forget the service even if cleaning up fails.' },
    'replica-id': { type: 'string', description: 'Terminate only this replica of the (one) service.', valueHint: 'id' },
    ...yesArg,
    ...asyncArg,
  },
  async run({ args }) {
    const names = positionals(args)
    if (!names.length && !args.all) throw new UsageError('Give service names, or -a for all of your services.')
    if (names.length && args.all) throw new UsageError('Give service names or -a, not both.')
    const c = sky()
    if (args['replica-id'] !== undefined) {
      const id = Number(args['replica-id'])
      if (!Number.isInteger(id) || id < 1) throw new UsageError(`--replica-id: '${args['replica-id']}' must be a positive integer.`)
      if (names.length !== 1) throw new UsageError('--replica-id needs exactly one service name.')
      if (!args.yes && process.stdin.isTTY && !(await confirm(`Terminating replica ${id} of service '${names[0]}'. Proceed?`))) throw new UsageError('Aborted.')
      await finish(await down({ service_names: [names[0]!], replica_id: id, purge: !!args.purge }, { client: c }), { stream: true, async: !!args.async, name: 'sky.serve.down' })
      return
    }
    const what = args.all ? 'all your services' : `service${names.length > 1 ? 's' : ''} ${names.map((n) => `'${n}'`).join(', ')}`
    if (!args.yes) {
      const q = `Terminating ${what}. Proceed?`
      if (!process.stdin.isTTY) throw new UsageError(`${q} — no terminal to ask on; pass -y to confirm.`)
      if (!(await confirm(q))) throw new UsageError('Aborted.')
    }
    const r = await finish(await down({ service_names: names, all: !!args.all, purge: !!args.purge }, { client: c }), { stream: true, async: !!args.async, name: 'sky.serve.down' })
    if (r?.still_shutting_down.length) process.exitCode = 1
  },
})
