// The `sky status` cluster table.
import type { ClusterRecord } from '../../core/state/clusters'
import { infraLabel as label } from '../../core/infra/types'
import { color } from '../../lib/colors'
import { renderTable } from '../../lib/table'
import { relativeTime } from '../../lib/time'

const statusColor: Record<string, (s: string) => string> = { UP: color.green, INIT: color.blue, STOPPED: color.yellow }

export function infraLabel(i: ClusterRecord['infra']): string {
  return label(i.cloud, i.region, i.zone)
}

export function autostopLabel(c: ClusterRecord): string {
  if (c.autostopMinutes < 0) return '-'
  const m = c.autostopMinutes
  const s = m % 60 === 0 && m > 0 ? `${m / 60}h` : `${m}m`
  return c.autostopDown ? `${s} (down)` : s
}

export function resourcesLabel(c: ClusterRecord): string {
  const r = c.resources as { label?: string }
  return `${c.numNodes}x(${r.label ?? '-'})`
}

export function renderClusterTable(clusters: ClusterRecord[], o: { allUsers: boolean; verbose: boolean }): string {
  if (!clusters.length) return `${color.cyan('Clusters')}\nNo existing clusters.`
  const headers = ['NAME', ...(o.allUsers ? ['USER'] : []), 'INFRA', 'RESOURCES', 'STATUS', 'AUTOSTOP', 'LAUNCHED', ...(o.verbose ? ['USER_ID', 'HEAD_IP', 'COMMAND'] : [])]
  const rows = clusters.map((c) => [
    c.name,
    ...(o.allUsers ? [c.userName] : []),
    infraLabel(c.infra),
    resourcesLabel(c),
    (statusColor[c.status] ?? ((s: string) => s))(c.status),
    autostopLabel(c),
    relativeTime(c.launchedAt),
    ...(o.verbose ? [c.userId, String((c.handle as { headIp?: string } | null)?.headIp ?? '-'), c.lastCommand ?? '-'] : []),
  ])
  return `${color.cyan('Clusters')}\n${renderTable(headers, rows)}`
}
