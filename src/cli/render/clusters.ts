// The `sky status` cluster table, from the wire form of clusters.
import { autostopLabel } from '../../api/display'
import type { Cluster } from '../../api/wire'
import { color } from '../../lib/colors'
import { renderTable } from '../../lib/table'
import { relativeTime } from '../../lib/time'

const statusColor: Record<string, (s: string) => string> = { UP: color.green, INIT: color.blue, STOPPED: color.yellow }

export function renderClusterTable(clusters: Cluster[], o: { allUsers: boolean; verbose: boolean }): string {
  if (!clusters.length) return `${color.cyan('Clusters')}\nNo existing clusters.`
  const headers = ['NAME', ...(o.allUsers ? ['USER'] : []), 'INFRA', 'RESOURCES', 'STATUS', 'AUTOSTOP', 'LAUNCHED', ...(o.verbose ? ['USER_ID', 'HEAD_IP', 'COMMAND'] : [])]
  const rows = clusters.map((c) => [
    c.name,
    ...(o.allUsers ? [c.user_name] : []),
    c.infra,
    c.resources_str,
    (statusColor[c.status] ?? ((s: string) => s))(c.status),
    autostopLabel(c),
    relativeTime(c.launched_at * 1000),
    ...(o.verbose ? [c.user_hash, c.head_ip ?? '-', c.last_use ?? '-'] : []),
  ])
  return `${color.cyan('Clusters')}\n${renderTable(headers, rows)}`
}
