// sky api status: requests on the server (active ones by default; -a for all).
import { defineCommand } from 'citty'
import { UsageError } from '../../../core/errors'
import { relativeTime } from '../../../lib/time'
import { color } from '../../../lib/colors'
import { renderTable } from '../../../lib/table'
import { allUsersArg, outputArg, outputFormat, positionals, verboseArg } from '../../args'
import { apiStatus } from '../../../api/ops/requests'
import { out, printJson } from '../../output'

const statusColor: Record<string, (s: string) => string> = {
  PENDING: color.blue,
  RUNNING: color.green,
  SUCCEEDED: color.green,
  FAILED: color.red,
  CANCELLED: (s) => s,
}

export default defineCommand({
  meta: { name: 'status', description: 'List requests on the API server.' },
  args: {
    ids: { type: 'positional', required: false, description: 'Request id prefixes.' },
    'all-status': { type: 'boolean', alias: 'a', description: 'Include finished requests.' },
    limit: { type: 'string', alias: 'l', description: 'Show at most N requests (default 50; "none" or "all" for every one).' },
    cluster: { type: 'string', alias: 'c', description: 'Only requests on this cluster.' },
    ...allUsersArg,
    ...verboseArg,
    ...outputArg,
  },
  async run({ args }) {
    const ids = positionals(args)
    let limit: number | undefined = 50
    if (args.limit !== undefined) {
      if (['none', 'all'].includes(String(args.limit))) limit = undefined
      else {
        limit = Number(args.limit)
        if (!Number.isInteger(limit) || limit <= 0) throw new UsageError(`--limit: '${args.limit}' must be a positive integer, "none" or "all".`)
      }
    }
    const rows = await apiStatus({
      request_ids: ids.length ? ids.join(',') : undefined,
      all_status: !!args['all-status'],
      all_users: !!args['all-users'],
      cluster_name: args.cluster,
      limit: limit === undefined ? undefined : limit + 1,
    })
    const shown = limit === undefined ? rows : rows.slice(0, limit)
    if (outputFormat(args.output) === 'json') {
      printJson(shown)
      return
    }
    const headers = ['ID', 'User', 'Name', ...(args.verbose ? ['Cluster'] : []), 'Created', 'Status']
    out(
      renderTable(
        headers,
        shown.map((r) => [
          args.verbose ? r.request_id : r.request_id.slice(0, 36),
          r.user_name,
          r.name,
          ...(args.verbose ? [r.cluster_name ?? '-'] : []),
          relativeTime(r.created_at * 1000),
          (statusColor[r.status] ?? ((s: string) => s))(r.status),
        ]),
      ),
    )
    if (limit !== undefined && rows.length > limit) out(`Showing ${limit} requests. Use "-l none" or "-l all" to show all requests.`)
  },
})
