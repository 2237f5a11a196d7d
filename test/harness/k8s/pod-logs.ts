// GET pods/{name}/log: a container's log as text/plain, with container, previous, follow,
// tailLines, sinceSeconds, sinceTime, timestamps and limitBytes; follow streams until the
// container exits. Errors are the apiserver's 400s (which container? not started yet?).
import type { ServerResponse } from 'node:http'
import type { Cluster } from './cluster'
import { readLog, renderLine, selectLines, type LogLine, type LogQuery } from './logs'
import { badRequest } from './status'

/** Which container a pods/log or pods/exec request means (the only one, or the one named). */
export function pickContainer(pod: Record<string, any>, name: string | null, includeInit: boolean): string {
  const names: string[] = pod.spec.containers.map((c: { name: string }) => c.name)
  const inits: string[] = (pod.spec.initContainers ?? []).map((c: { name: string }) => c.name)
  if (name) {
    if (names.includes(name) || (includeInit && inits.includes(name))) return name
    throw badRequest(`container ${name} is not valid for pod ${pod.metadata.name}`)
  }
  if (names.length === 1) return names[0]!
  const initPart = includeInit && inits.length ? ` or one of the init containers: [${inits.join(' ')}]` : ''
  throw badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]${initPart}`)
}

const num = (v: string | null) => (v !== null && /^-?\d+$/.test(v) ? Number(v) : undefined)

export function servePodLog(cluster: Cluster, res: ServerResponse, ns: string, name: string, q: URLSearchParams): void {
  const pod = cluster.store.mustGet('pods', ns, name)
  const container = pickContainer(pod, q.get('container'), true)
  const previous = q.get('previous') === 'true'
  const query: LogQuery = {
    tailLines: num(q.get('tailLines')),
    sinceSeconds: num(q.get('sinceSeconds')),
    sinceTime: q.get('sinceTime') ?? undefined,
    timestamps: q.get('timestamps') === 'true',
    limitBytes: num(q.get('limitBytes')),
  }
  const { log, path } = cluster.kubelet.log(pod, container, previous)
  if (previous && !path) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`)
  if (!previous && !log) {
    const waiting = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find((c: { name: string }) => c.name === container)?.state?.waiting
    throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${waiting?.reason ?? 'ContainerCreating'}`)
  }
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' })
  res.flushHeaders()
  let budget = query.limitBytes ?? Number.POSITIVE_INFINITY
  const write = (l: LogLine): boolean => {
    let b = renderLine(l, query.timestamps)
    if (b.length > budget) b = b.subarray(0, budget)
    budget -= b.length
    if (b.length) res.write(b)
    return budget > 0
  }
  const lines = previous ? selectLines(readLog(path!), query) : log!.read(query)
  for (const l of lines) if (!write(l)) return void res.end()
  if (previous || q.get('follow') !== 'true' || !log) return void res.end()
  const stop = log.follow(
    (l) => {
      if (!write(l)) {
        stop()
        res.end()
      }
    },
    () => res.end(),
  )
  res.on('close', stop)
}
