// sky api status: requests on the server (active ones by default; -a for all). Requests come a
// page at a time and are printed as they come, so `-a -l all` works for any number of them with
// bounded memory: column widths are fixed by the first page.
import { defineCommand } from 'citty'
import { UsageError } from '../../../core/errors'
import { relativeTime } from '../../../lib/time'
import { color } from '../../../lib/colors'
import { renderTable, visibleWidth } from '../../../lib/table'
import { allUsersArg, outputArg, outputFormat, positionals, verboseArg } from '../../args'
import { apiStatus } from '../../../api/ops/requests'
import type { RequestPayload } from '../../../api/wire'
import { pages } from '../../../sdk/requests'
import { out } from '../../output'

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
    const list = pages(apiStatus, {
      request_ids: ids.length ? ids.join(',') : undefined,
      all_status: !!args['all-status'],
      all_users: !!args['all-users'],
      cluster_name: args.cluster,
    }, {
      max: limit === undefined ? undefined : limit + 1,
    })
    const json = outputFormat(args.output) === 'json'
    const headers = ['ID', 'User', 'Name', ...(args.verbose ? ['Cluster'] : []), 'Created', 'Status']
    const cells = (r: RequestPayload) => [
      r.request_id,
      r.user_name,
      r.name,
      ...(args.verbose ? [r.cluster_name ?? '-'] : []),
      relativeTime(r.created_at * 1000),
      (statusColor[r.status] ?? ((s: string) => s))(r.status),
    ]
    let shown = 0
    let more = false
    let widths: number[] | undefined
    if (json) process.stdout.write('[')
    for await (const page of list) {
      let rows = page
      if (limit !== undefined && shown + rows.length > limit) {
        rows = rows.slice(0, limit - shown)
        more = true
      }
      if (json) {
        process.stdout.write(rows.map((r) => (shown++ ? ',\n' : '\n') + JSON.stringify(r)).join(''))
        continue
      }
      const texts = rows.map(cells)
      if (!widths) {
        // The first page fixes the columns; later pages line up under them.
        const table = renderTable(headers, texts)
        out(table)
        const lines = table.split('\n')
        widths = headers.map((_, i) => (i === headers.length - 1 ? 0 : columnWidth(lines[0]!, headers, i)))
      } else {
        out(texts.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(Math.max(1, widths![i]! - visibleWidth(c))))).join('')).join('\n'))
      }
      shown += rows.length
    }
    if (json) {
      process.stdout.write(shown ? '\n]\n' : ']\n')
      return
    }
    if (!widths) out(renderTable(headers, []))
    if (more) out(`Showing ${limit} requests. Use "-l none" or "-l all" to show all requests.`)
  },
})

/** Width of column `i` (its text plus the gap) in a rendered header line. */
function columnWidth(headerLine: string, headers: string[], i: number): number {
  const start = headerLine.indexOf(headers[i]!)
  const next = headerLine.indexOf(headers[i + 1]!, start + headers[i]!.length)
  return next - start
}
