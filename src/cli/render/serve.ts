// `sky serve status` tables in SkyPilot's layout (Services, then Service Replicas) and the
// Useful Commands block `sky serve up` prints.
import type { ReplicaStatus, ServiceStatus } from '../../core/serve/status'
import type { Service as ServiceWire } from '../../api/wire'
import { color } from '../../lib/colors'
import { renderTable } from '../../lib/table'
import { relativeTime, shortDuration } from '../../lib/time'

const GOOD = new Set<string>(['READY'])
const BAD = new Set<string>(['FAILED', 'FAILED_INITIAL_DELAY', 'FAILED_PROBING', 'FAILED_PROVISION', 'FAILED_CLEANUP', 'CONTROLLER_FAILED', 'PREEMPTED', 'UNKNOWN'])

function colored(s: ServiceStatus | ReplicaStatus): string {
  if (GOOD.has(s)) return color.green(s)
  if (BAD.has(s)) return color.red(s)
  if (s === 'SHUTTING_DOWN' || s === 'NOT_READY') return color.yellow(s)
  return color.cyan(s)
}

const TERMINAL = new Set<string>(['SHUTTING_DOWN', 'FAILED', 'FAILED_INITIAL_DELAY', 'FAILED_PROBING', 'FAILED_PROVISION', 'FAILED_CLEANUP', 'PREEMPTED', 'UNKNOWN'])

export function renderServices(services: ServiceWire[], o: { verbose: boolean; now?: number }): string {
  const now = o.now ?? Date.now()
  const headers = ['NAME', 'VERSION', 'UPTIME', 'STATUS', 'REPLICAS', 'ENDPOINT', ...(o.verbose ? ['AUTOSCALING_POLICY', 'LOAD_BALANCING_POLICY', 'REQUESTED_RESOURCES'] : [])]
  const rows = services.map((s) => {
    const live = s.replica_info.filter((r) => !TERMINAL.has(r.status))
    const ready = live.filter((r) => r.status === 'READY').length
    const versions = s.active_versions.length ? s.active_versions.join(',') : String(s.version)
    return [
      s.name,
      versions,
      s.uptime === null ? '-' : shortDuration(now - s.uptime * 1000),
      colored(s.status),
      `${ready}/${live.length}`,
      s.endpoint,
      ...(o.verbose ? [s.auth ? 'bearer tokens' : '-', s.load_balancing_policy, s.requested_resources_str] : []),
    ]
  })
  return renderTable(headers, rows)
}

export function renderReplicas(services: ServiceWire[], o: { verbose: boolean; now?: number }): string {
  const now = o.now ?? Date.now()
  const headers = ['SERVICE_NAME', 'ID', 'VERSION', 'ENDPOINT', 'LAUNCHED', 'INFRA', 'STATUS', ...(o.verbose ? ['CLUSTER', 'FAILURE'] : [])]
  const rows = services.flatMap((s) =>
    s.replica_info.map((r) => [
      s.name,
      r.replica_id,
      r.version,
      r.endpoint ?? '-',
      r.launched_at === null ? '-' : relativeTime(r.launched_at * 1000, now),
      r.infra ?? '-',
      colored(r.status),
      ...(o.verbose ? [r.cluster_name, r.failure ?? '-'] : []),
    ]),
  )
  return renderTable(headers, rows)
}

export function usefulServeCommands(name: string, endpoint: string): string {
  return [
    '📋 Useful Commands',
    `├── To check service status:    sky serve status ${name} [--endpoint]`,
    `├── To teardown the service:    sky serve down ${name}`,
    `├── To see replica logs:        sky serve logs ${name} [REPLICA_ID]`,
    `├── To see load balancer logs:  sky serve logs --load-balancer ${name}`,
    `├── To see controller logs:     sky serve logs --controller ${name}`,
    `├── To monitor the status:      watch -n10 sky serve status ${name}`,
    `└── To send a test request:     curl ${endpoint}`,
  ].join('\n')
}
