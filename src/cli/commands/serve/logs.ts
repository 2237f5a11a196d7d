// sky serve logs NAME [REPLICA_ID] | --controller | --load-balancer [--no-follow] [--tail N].
import { defineCommand } from 'citty'
import { UsageError } from '../../../core/errors'
import { logs } from '../../../api/ops/serve'
import { positionals } from '../../args'
import { finish, sky } from '../../client'

export default defineCommand({
  meta: { name: 'logs', description: "Stream a service's logs: a replica's output, the controller's or the load balancer's." },
  args: {
    service: { type: 'positional', required: false, description: 'Service name.' },
    replica: { type: 'positional', required: false, description: 'Replica id.' },
    controller: { type: 'boolean', description: "The service controller's log." },
    'load-balancer': { type: 'boolean', description: "The load balancer's log." },
    follow: { type: 'boolean', default: true, description: 'Follow the log (--no-follow prints what exists).' },
    tail: { type: 'string', description: 'Only the last N lines.', valueHint: 'n' },
  },
  async run({ args }) {
    const [name, replica, ...extra] = positionals(args)
    if (!name || extra.length) throw new UsageError('Usage: sky serve logs SERVICE_NAME [REPLICA_ID] | --controller | --load-balancer')
    const targets = [replica !== undefined, !!args.controller, !!args['load-balancer']].filter(Boolean).length
    if (targets !== 1) throw new UsageError('Give exactly one of: a replica id, --controller, --load-balancer.')
    const replicaId = replica === undefined ? undefined : Number(replica)
    if (replicaId !== undefined && (!Number.isInteger(replicaId) || replicaId < 1)) throw new UsageError(`Replica id '${replica}' must be a positive integer.`)
    const tail = args.tail === undefined ? undefined : Number(args.tail)
    if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) throw new UsageError(`--tail: '${args.tail}' must be a non-negative integer.`)
    const target = replicaId !== undefined ? 'replica' : args.controller ? 'controller' : 'load_balancer'
    const id = await logs({ service_name: name, target, replica_id: replicaId, follow: args.follow !== false, tail }, { client: sky() })
    const r = await finish(id, { stream: true, cancelOnInterrupt: true })
    if (r && r.exit_code && r.exit_code !== 101) process.exitCode = r.exit_code
  },
})
