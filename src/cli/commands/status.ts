// sky status: clusters (yours, or everyone's with -u), as a table or JSON.
import { defineCommand } from 'citty'
import type { ClusterRecord } from '../../core/state/clusters'
import { status as statusOp } from '../../sdk/ops'
import { allUsersArg, outputArg, outputFormat, positionals, verboseArg } from '../args'
import { finish, sky } from '../client'
import { out, printJson } from '../output'
import { renderClusterTable } from '../render/clusters'
import { DESCRIPTIONS } from './descriptions'

export default defineCommand({
  meta: { name: 'status', description: DESCRIPTIONS.status },
  args: {
    clusters: { type: 'positional', required: false, description: 'Cluster names or glob patterns.' },
    refresh: { type: 'boolean', alias: 'r', description: 'Query the infra for the latest cluster state.' },
    ip: { type: 'boolean', description: "Print only the head node's IP (one cluster)." },
    ...allUsersArg,
    ...verboseArg,
    ...outputArg,
  },
  async run({ args }) {
    const names = positionals(args)
    const fmt = outputFormat(args.output)
    const id = await statusOp(sky(), { clusterNames: names.length ? names : undefined, allUsers: !!args['all-users'], refresh: !!args.refresh })
    const clusters = (await finish<ClusterRecord[]>(id)) ?? []
    if (fmt === 'json') {
      printJson(clusters.map(({ handle: _h, ...rest }) => rest))
      return
    }
    if (args.ip) {
      const c = clusters[0]
      const ip = (c?.handle as { headIp?: string } | null)?.headIp
      if (!c) throw new (await import('../../core/errors')).NotFoundError(`Cluster '${names[0] ?? ''}' not found.`)
      out(ip ?? '-')
      return
    }
    for (const n of names) {
      if (!n.includes('*') && !clusters.some((c) => c.name === n)) out(`Cluster '${n}' not found.`)
    }
    out(renderClusterTable(clusters, { allUsers: !!args['all-users'], verbose: !!args.verbose }))
  },
})
