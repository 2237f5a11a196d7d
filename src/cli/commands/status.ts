// sky status: clusters (yours, or everyone's with -u), as a table or JSON, followed (as a table,
// with no cluster names) by your in-progress managed jobs and the services, fetched at the same
// time as the clusters; or one cluster's head IP (--ip) or exposed ports (--endpoints, --endpoint PORT).
import { defineCommand } from 'citty'
import type { RequestId } from '../../api/define'
import { NotFoundError, UsageError } from '../../core/errors'
import { status as statusOp } from '../../api/ops/clusters'
import { queue as managedJobsQueue } from '../../api/ops/managed-jobs'
import { status as serveStatus } from '../../api/ops/serve'
import type { Cluster } from '../../api/wire'
import { allUsersArg, outputArg, outputFormat, positionals, verboseArg } from '../args'
import { finish, sky } from '../client'
import { info, out, printJson } from '../output'
import { renderClusterTable } from '../render/clusters'
import { failedSection, managedJobsSection, servicesSection, STATUS_MANAGED_JOBS, type Section } from '../render/status-sections'
import { DESCRIPTIONS } from './descriptions'

/** `8000-8002` → 8000, 8001, 8002. */
function expandPorts(ports: string[]): number[] {
  const all: number[] = []
  for (const p of ports) {
    const [a, b] = p.split('-').map(Number)
    for (let n = a!; n <= (b ?? a!); n++) all.push(n)
  }
  return all
}

/** One cluster's property (--ip / --endpoints / --endpoint): exactly one existing cluster, as SkyPilot asks. */
function one(names: string[], property: string, flag: string): string {
  if (names.length === 1 && !/[*?]/.test(names[0]!)) return names[0]!
  const n = names.length
  throw new UsageError(
    `${n ? n : 'No'} cluster${n > 1 ? 's' : ''} specified. Please specify ${n > 1 ? 'a single' : 'an existing'} cluster to show its ${property}.\nUsage: sky status ${flag} <cluster>`,
  )
}

function showEndpoints(c: Cluster, port: number | undefined): void {
  const host = c.head_ip
  const ports = expandPorts(c.ports)
  if (!host || c.status !== 'UP') throw new NotFoundError(`Cluster '${c.name}' is ${c.status}; its endpoints exist only while it is UP.`, { hint: `sky start ${c.name}` })
  if (!ports.length) {
    throw new NotFoundError(`Cluster '${c.name}' exposes no ports.`, { hint: 'Open ports at launch with resources.ports in the task YAML, or --ports 8080.' })
  }
  // Where the infra published a port (a Kubernetes Service); else the head node's own address.
  const published = c.endpoints ?? {}
  const at = (p: number) => published[String(p)] ?? `${host}:${p}`
  if (port !== undefined) {
    if (!ports.includes(port)) throw new NotFoundError(`Port ${port} is not exposed on cluster '${c.name}' (exposed: ${ports.join(', ')}).`)
    out(at(port))
    return
  }
  for (const p of ports) out(`${p}: ${at(p)}`)
}

/**
 * Submit a section's request now and settle it into the section (a failed query prints its reason
 * in place of the table, as SkyPilot does, and never fails `sky status`).
 */
function section<T>(submit: () => Promise<RequestId<T>>, render: (r: T) => Section, heading: string, what: string): Promise<Section> {
  return submit()
    .then((id) => sky().get<T>(id))
    .then(render, (e: unknown) => failedSection(heading, what, e))
}

export default defineCommand({
  meta: { name: 'status', description: DESCRIPTIONS.status },
  args: {
    clusters: { type: 'positional', required: false, description: 'Cluster names or glob patterns.' },
    refresh: { type: 'boolean', alias: 'r', description: 'Query the infra for the latest cluster state.' },
    ip: { type: 'boolean', description: "Print only the head node's IP (one cluster)." },
    endpoints: { type: 'boolean', description: "Print the cluster's exposed ports as PORT: HOST:PORT lines (one cluster)." },
    endpoint: { type: 'string', description: 'Print the endpoint of one exposed port (one cluster).' },
    'show-managed-jobs': { type: 'boolean', default: true, description: 'Show in-progress managed jobs after the clusters (--no-show-managed-jobs hides them).' },
    'show-services': { type: 'boolean', default: true, description: 'Show services after the clusters (--no-show-services hides them).' },
    'show-pools': { type: 'boolean', default: true, description: 'Show pools (none in this build; --no-show-pools accepted).' },
    ...allUsersArg,
    ...verboseArg,
    ...outputArg,
  },
  async run({ args }) {
    const names = positionals(args)
    const fmt = outputFormat(args.output)
    const property = args.ip ? 'ip' : args.endpoints ? 'endpoints' : args.endpoint !== undefined ? 'endpoint' : undefined
    let port: number | undefined
    if (property) {
      if ([args.ip, args.endpoints, args.endpoint !== undefined].filter(Boolean).length > 1) throw new UsageError('Give only one of --ip, --endpoints, --endpoint.')
      if (args.refresh) throw new UsageError(`--${property} cannot be combined with --refresh.`)
      if (args.endpoint !== undefined) {
        port = Number(args.endpoint)
        if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--endpoint: '${args.endpoint}' is not a port number.`)
      }
      one(names, property === 'ip' ? 'IP address' : 'endpoint(s)', property === 'ip' ? '--ip' : property === 'endpoints' ? '--endpoints' : '--endpoint <port>')
    }
    const allUsers = !!args['all-users']
    // The clusters' request goes first: it alone starts (or replaces) a local server and meets a
    // login error. The sections' requests follow at once and run beside it on the server.
    const id = await statusOp({ cluster_names: names.length ? names : undefined, all_users: allUsers, refresh: !!args.refresh })
    // As SkyPilot: the extra sections only in the table view of all clusters.
    const sections = !property && fmt === 'table' && !names.length
    const jobs = sections && args['show-managed-jobs']
      ? section(() => managedJobsQueue({ all_users: allUsers, skip_finished: true, limit: STATUS_MANAGED_JOBS }, { client: sky() }), (q) => managedJobsSection(q, { allUsers }), 'Managed jobs', 'managed jobs')
      : undefined
    const services = sections && args['show-services'] ? section(() => serveStatus({}, { client: sky() }), (s) => servicesSection(s), 'Services', 'services') : undefined
    const clusters = (await finish(id)) ?? []
    if (property) {
      const c = clusters.find((x) => x.name === names[0])
      if (!c) throw new NotFoundError(`Cluster '${names[0]}' not found.`, { hint: 'See your clusters with: sky status' })
      if (property === 'ip') out(c.head_ip ?? '-')
      else showEndpoints(c, port)
      return
    }
    if (fmt === 'json') {
      printJson(clusters)
      return
    }
    for (const n of names) {
      if (!n.includes('*') && !clusters.some((c) => c.name === n)) out(`Cluster '${n}' not found.`)
    }
    out(renderClusterTable(clusters, { allUsers, verbose: !!args.verbose }))
    const shown = (await Promise.all([jobs, services])).filter((x): x is Section => !!x)
    for (const s of shown) out(`\n${s.text}`)
    const hints = shown.flatMap((s) => (s.hint ? [s.hint] : []))
    if (hints.length) info(`\n${hints.join('\n')}`)
  },
})
