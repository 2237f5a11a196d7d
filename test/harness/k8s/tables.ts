// meta.k8s.io/v1 Table responses for `kubectl get` (Accept: application/json;as=Table;v=v1;g=meta.k8s.io),
// with the columns kubectl users know for pods, nodes, services, namespaces, events, configmaps
// and secrets (the wide columns have priority 1), and the age format of `kubectl get`.
import type { KubeObject } from './store'

interface Column {
  name: string
  type: 'string' | 'integer' | 'date'
  format?: string
  description: string
  priority: number
}

const col = (name: string, priority = 0, type: Column['type'] = 'string', format?: string): Column => ({
  name,
  type,
  ...(format ? { format } : {}),
  description: name,
  priority,
})

/** Wants a Table when the Accept header asks for one. */
export const wantsTable = (accept: string) => /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept)

/** kubectl's age format: 45s, 2m30s, 15m, 3h20m, 2d4h, 400d, 3y10d. */
export function humanAge(ts: string | undefined, at = Date.now()): string {
  if (!ts) return '<unknown>'
  const secs = Math.floor((at - Date.parse(ts)) / 1000)
  if (secs < -1) return '<invalid>'
  if (secs < 0) return '0s'
  if (secs < 120) return `${secs}s`
  const mins = Math.floor(secs / 60)
  if (mins < 10) return secs % 60 ? `${mins}m${secs % 60}s` : `${mins}m`
  if (mins < 180) return `${mins}m`
  const hours = Math.floor(mins / 60)
  if (hours < 8) return mins % 60 ? `${hours}h${mins % 60}m` : `${hours}h`
  if (hours < 48) return `${hours}h`
  const days = Math.floor(hours / 24)
  if (hours < 24 * 8) return hours % 24 ? `${days}d${hours % 24}h` : `${days}d`
  if (days < 365 * 2) return `${days}d`
  const years = Math.floor(days / 365)
  if (days < 365 * 8) return days % 365 ? `${years}y${days % 365}d` : `${years}y`
  return `${years}y`
}

function podStatusText(p: KubeObject): string {
  if (p.metadata.deletionTimestamp) return 'Terminating'
  let reason: string = p.status?.reason ?? p.status?.phase ?? 'Pending'
  const inits: Record<string, any>[] = p.status?.initContainerStatuses ?? []
  const pendingInit = inits.findIndex((c) => !(c.state?.terminated?.exitCode === 0))
  if (pendingInit >= 0) {
    const c = inits[pendingInit]!
    if (c.state?.terminated) return `Init:${c.state.terminated.reason || `ExitCode:${c.state.terminated.exitCode}`}`
    if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') return `Init:${c.state.waiting.reason}`
    return `Init:${pendingInit}/${inits.length}`
  }
  for (const c of [...(p.status?.containerStatuses ?? [])].reverse() as Record<string, any>[]) {
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason
    else if (c.state?.terminated) reason = c.state.terminated.reason || `ExitCode:${c.state.terminated.exitCode}`
  }
  const running = (p.status?.containerStatuses ?? []).some((c: Record<string, any>) => c.state?.running)
  if (reason === 'Completed' && running) reason = 'Running'
  return reason
}

function restarts(p: KubeObject): string {
  let n = 0
  let last: string | undefined
  for (const c of (p.status?.containerStatuses ?? []) as Record<string, any>[]) {
    n += c.restartCount ?? 0
    const fin = c.lastState?.terminated?.finishedAt
    if (fin && (!last || fin > last)) last = fin
  }
  return n && last ? `${n} (${humanAge(last)} ago)` : String(n)
}

function servicePorts(s: KubeObject): string {
  const ports: Record<string, any>[] = s.spec?.ports ?? []
  if (!ports.length) return '<none>'
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',')
}

function externalIP(s: KubeObject): string {
  const ext: string[] = s.spec?.externalIPs ?? []
  if (s.spec?.type === 'LoadBalancer') {
    const ing: string[] = (s.status?.loadBalancer?.ingress ?? []).map((i: { ip?: string; hostname?: string }) => i.ip ?? i.hostname)
    const all = [...ing, ...ext]
    return all.length ? all.join(',') : '<pending>'
  }
  if (s.spec?.type === 'ExternalName') return s.spec.externalName
  return ext.length ? ext.join(',') : '<none>'
}

const nodeRoles = (n: KubeObject) =>
  Object.keys(n.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .join(',') || '<none>'

function nodeStatus(n: KubeObject): string {
  const ready = (n.status?.conditions ?? []).find((c: { type: string }) => c.type === 'Ready')
  const s = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown'
  return n.spec?.unschedulable ? `${s},SchedulingDisabled` : s
}

const selectorText = (sel: Record<string, string> | undefined) =>
  sel && Object.keys(sel).length ? Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(',') : '<none>'

interface Printer {
  columns: Column[]
  row(o: KubeObject): unknown[]
}

const PRINTERS: Record<string, Printer> = {
  pods: {
    columns: [col('Name', 0, 'string', 'name'), col('Ready'), col('Status'), col('Restarts'), col('Age'), col('IP', 1), col('Node', 1), col('Nominated Node', 1), col('Readiness Gates', 1)],
    row: (p) => {
      const cs: Record<string, any>[] = p.status?.containerStatuses ?? []
      const total = p.spec?.containers?.length ?? 0
      return [p.metadata.name, `${cs.filter((c) => c.ready).length}/${total}`, podStatusText(p), restarts(p), humanAge(p.metadata.creationTimestamp), p.status?.podIP ?? '<none>', p.spec?.nodeName ?? '<none>', '<none>', '<none>']
    },
  },
  nodes: {
    columns: [col('Name', 0, 'string', 'name'), col('Status'), col('Roles'), col('Age'), col('Version'), col('Internal-IP', 1), col('External-IP', 1), col('OS-Image', 1), col('Kernel-Version', 1), col('Container-Runtime', 1)],
    row: (n) => {
      const addr = (t: string) => (n.status?.addresses ?? []).find((a: { type: string }) => a.type === t)?.address ?? '<none>'
      const info = n.status?.nodeInfo ?? {}
      return [n.metadata.name, nodeStatus(n), nodeRoles(n), humanAge(n.metadata.creationTimestamp), info.kubeletVersion ?? '', addr('InternalIP'), addr('ExternalIP'), info.osImage ?? '', info.kernelVersion ?? '', info.containerRuntimeVersion ?? '']
    },
  },
  services: {
    columns: [col('Name', 0, 'string', 'name'), col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), col('Age'), col('Selector', 1)],
    row: (s) => [s.metadata.name, s.spec?.type ?? 'ClusterIP', s.spec?.clusterIP ?? '<none>', externalIP(s), servicePorts(s), humanAge(s.metadata.creationTimestamp), selectorText(s.spec?.selector)],
  },
  namespaces: {
    columns: [col('Name', 0, 'string', 'name'), col('Status'), col('Age')],
    row: (n) => [n.metadata.name, n.status?.phase ?? 'Active', humanAge(n.metadata.creationTimestamp)],
  },
  events: {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Subobject', 1), col('Source', 1), col('Message'), col('First Seen', 1), col('Count', 1), col('Name', 1)],
    row: (e) => [
      humanAge(e.lastTimestamp ?? e.metadata.creationTimestamp),
      e.type ?? '',
      e.reason ?? '',
      `${String(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}`,
      e.involvedObject?.fieldPath ?? '',
      [e.source?.component, e.source?.host].filter(Boolean).join(', '),
      e.message ?? '',
      humanAge(e.firstTimestamp ?? e.metadata.creationTimestamp),
      e.count ?? 1,
      e.metadata.name,
    ],
  },
  configmaps: {
    columns: [col('Name', 0, 'string', 'name'), col('Data', 0, 'integer'), col('Age')],
    row: (c) => [c.metadata.name, Object.keys(c.data ?? {}).length + Object.keys(c.binaryData ?? {}).length, humanAge(c.metadata.creationTimestamp)],
  },
  secrets: {
    columns: [col('Name', 0, 'string', 'name'), col('Type'), col('Data', 0, 'integer'), col('Age')],
    row: (s) => [s.metadata.name, s.type ?? 'Opaque', Object.keys(s.data ?? {}).length, humanAge(s.metadata.creationTimestamp)],
  },
}

const DEFAULT: Printer = {
  columns: [col('Name', 0, 'string', 'name'), col('Age')],
  row: (o) => [o.metadata.name, humanAge(o.metadata.creationTimestamp)],
}

function rowObject(o: KubeObject, include: string): unknown {
  if (include === 'None') return undefined
  if (include === 'Object') return o
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata }
}

/** A Table of `objects`; `includeObject` is None, Metadata (default) or Object. */
export function toTable(resource: string, objects: KubeObject[], resourceVersion: string, includeObject = 'Metadata', withColumns = true): Record<string, unknown> {
  const p = PRINTERS[resource] ?? DEFAULT
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    ...(withColumns ? { columnDefinitions: p.columns } : { columnDefinitions: null }),
    rows: objects.map((o) => {
      const obj = rowObject(o, includeObject)
      return { cells: p.row(o), ...(obj ? { object: obj } : {}) }
    }),
  }
}
