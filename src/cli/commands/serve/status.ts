// sky serve status [NAMES...] [-v] [--endpoint]: the Services and Service Replicas tables.
import { defineCommand } from 'citty'
import { UsageError } from '../../../core/errors'
import { status } from '../../../api/ops/serve'
import { outputArg, outputFormat, positionals, verboseArg } from '../../args'
import { finish, sky } from '../../client'
import { out, printJson } from '../../output'
import { renderReplicas, renderServices } from '../../render/serve'

export default defineCommand({
  meta: { name: 'status', description: 'Show services and their replicas.' },
  args: {
    services: { type: 'positional', required: false, description: 'Service names (default: all).' },
    ...verboseArg,
    endpoint: { type: 'boolean', description: "Print only the service's endpoint (one service)." },
    ...outputArg,
  },
  async run({ args }) {
    const names = positionals(args)
    if (args.endpoint && names.length !== 1) throw new UsageError('--endpoint needs exactly one service name.')
    const services = (await finish(await status({ service_names: names.length ? names : undefined }, { client: sky() })))!
    if (args.endpoint) return out(services[0]!.endpoint)
    if (outputFormat(args.output) === 'json') return printJson(services)
    const verbose = !!args.verbose
    out('Services')
    if (!services.length) return out('No live services.')
    out(renderServices(services, { verbose }))
    out('\nService Replicas')
    if (!services.some((s) => s.replica_info.length)) return out('No live replicas.')
    out(renderReplicas(services, { verbose }))
  },
})
