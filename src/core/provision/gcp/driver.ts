// The GCP Compute Engine driver of the shared cloud-VM provisioner: one instance per rank,
// inserted together in one zone with every label already on it (so a crash right after an insert
// still leaves an instance found by label), each insert's operation waited on until DONE (capacity
// errors often show only there); instances found by the `skypilot-cluster-name` label with one
// aggregated list for the whole project (concurrent listings share it); stopped, started and
// deleted by name and zone. Firewall rules live in ./network.ts, the insert body in
// ./instance.ts, errors in ./errors.ts.
import { randomBytes } from 'node:crypto'
import { loadCatalog } from '../../catalog/load'
import { TAG_CLUSTER, TAG_HEAD, TAG_RANK, TAG_SERVER, TAG_USER, type CloudVmDriver, type CreateRequest, type NodeRelease, type VmInstance, type VmOpOptions } from '../cloud-vm/driver'
import { stateMapper } from '../cloud-vm/states'
import { InfraConfigError } from '../errors'
import { gcpSettings, proxyCommandFor } from './config'
import { gce, gceInstances, gceOk, gcpContext, isTolerated, waitOperation, type CallOptions, type GceInstance, type GceOperation } from './compute'
import { gcp } from './descriptor'
import { GRPC_CODES } from './errors'
import { checkLabels, instanceBody, labelValue } from './instance'
import { closePorts, deleteRules, ensureBaseRules, networkTag, networkUrl, openPorts, subnetworkFor } from './network'
import { nodeReleaseFor, serviceAccountFor } from './release'

// TERMINATED is Compute's word for a stopped instance (its disk is kept); a deleted one is gone.
const toState = stateMapper({
  PROVISIONING: 'pending',
  STAGING: 'pending',
  REPAIRING: 'pending',
  RUNNING: 'running',
  STOPPING: 'stopping',
  SUSPENDING: 'stopping',
  SUSPENDED: 'stopped',
  TERMINATED: 'stopped',
})

const last = (url: string | null | undefined) => (url ?? '').split('/').pop() ?? ''
export const regionOfZone = (zone: string) => zone.replace(/-[a-z]$/, '')

export function toVm(i: GceInstance): VmInstance {
  const labels = i.labels ?? {}
  const rank = labels[TAG_RANK] !== undefined && /^\d+$/.test(labels[TAG_RANK]!) ? Number(labels[TAG_RANK]) : null
  const nic = i.networkInterfaces?.[0]
  const spot = i.scheduling?.provisioningModel === 'SPOT' || i.scheduling?.preemptible === true
  const state = toState(i.status)
  let reason: string | undefined
  if (i.status === 'TERMINATED') reason = spot ? 'spot VM preempted, or stopped outside sky' : 'stopped (TERMINATED) by a user or API call outside sky'
  else if (i.statusMessage) reason = i.statusMessage
  return {
    id: i.name ?? '',
    cluster: labels[TAG_CLUSTER] ?? '',
    rank,
    state,
    ...(reason ? { reason } : {}),
    zone: last(i.zone) || null,
    privateIp: nic?.networkIP ?? null,
    publicIp: nic?.accessConfigs?.find((a) => a.natIP)?.natIP ?? null,
    spot,
    ...(labels[TAG_SERVER] ? { server: labels[TAG_SERVER] } : {}),
    ...(labels[TAG_USER] ? { userHash: labels[TAG_USER] } : {}),
    ...(i.creationTimestamp ? { launchedAt: Date.parse(i.creationTimestamp) } : {}),
  }
}

/** Instance name → zone, learnt from every listing and insert (Compute addresses instances by zone). */
const zones = new Map<string, string>()

function remember(name: string, zone: string): void {
  zones.set(name, zone)
  if (zones.size > 10_000) zones.delete(zones.keys().next().value!)
}

/** Listings in flight, by filter: the per-region listings of one refresh share one aggregated call. */
const inflight = new Map<string, Promise<{ zone: string; instances: GceInstance[] }[]>>()

function listAll(filter: string, o: VmOpOptions): Promise<{ zone: string; instances: GceInstance[] }[]> {
  let p = inflight.get(filter)
  if (!p) {
    p = gceInstances(filter, { signal: o.signal }).finally(() => inflight.delete(filter))
    inflight.set(filter, p)
  }
  return p
}

async function zoneOf(region: string, name: string, o: VmOpOptions): Promise<string | null> {
  const known = zones.get(name)
  if (known) return known
  const found = await listAll(`name = "${name}"`, o)
  for (const z of found) for (const i of z.instances) if (i.name === name) remember(name, z.zone)
  return zones.get(name) ?? null
}

/** Run one instance method (start/stop/delete/setLabels) by name and wait for its operation. */
async function onInstance(region: string, name: string, method: 'start' | 'stop' | 'delete', o: VmOpOptions, tolerate: number[] = []): Promise<void> {
  const zone = await zoneOf(region, name, o)
  if (!zone) {
    if (method === 'delete' || method === 'stop') return // gone already
    throw new InfraConfigError(`Instance ${name} was not found in ${region}.`, { infra: 'gcp', region })
  }
  const c: CallOptions = { signal: o.signal, region, zone, tolerate }
  const op = await gce<GceOperation>('instances', method, { zone, instance: name }, c)
  if (isTolerated(op)) return
  await waitOperation(op, { zone, region, what: `instances.${method} ${name}` }, c)
}

const nodeName = (nameOnCloud: string, suffix: string, rank: number) => `${nameOnCloud}-${suffix}-${rank === 0 ? 'head' : `worker${rank}`}`

/** Display name and user labels, made valid for GCE (the cluster tags come from the cluster layer). */
function instanceLabels(tags: Record<string, string>, extra: Record<string, string>, rank: number): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries({ ...extra, ...tags })) out[k] = k.startsWith('skypilot-') ? labelValue(v) : v
  out[TAG_RANK] = String(rank)
  out[TAG_HEAD] = rank === 0 ? '1' : '0'
  return out
}

export const gcpDriver: CloudVmDriver = {
  infra: 'gcp',
  displayName: 'GCP',
  capabilities: gcp.capabilities,
  bootTimeoutMs: 240_000,

  access(region) {
    const s = gcpSettings()
    return { user: s.sshUser, useInternalIps: s.useInternalIps, proxyCommand: proxyCommandFor(s, region) }
  },

  async bootstrap(req): Promise<Record<string, unknown>> {
    const s = gcpSettings()
    const { region, signal } = req
    if (!req.zone) throw new InfraConfigError('GCP launches need a zone.', { infra: 'gcp', region, scope: 'region' })
    checkLabels(s.labels, 'gcp.labels')
    checkLabels(req.resources.labels, 'resources.labels')
    const ctx = await gcpContext()
    const o: CallOptions = { signal, region, ctx }
    const [subnetwork] = await Promise.all([subnetworkFor(region, s, o), ensureBaseRules(req.nameOnCloud, s, o)])
    return { network: networkUrl(s), subnetwork, tag: networkTag(req.nameOnCloud), serviceAccount: serviceAccountFor(s, ctx.project) }
  },

  async create(req: CreateRequest): Promise<string[]> {
    const s = gcpSettings()
    const zone = req.zone!
    const net = req.network as { network: string; subnetwork: string | null; tag: string; serviceAccount: string | null }
    const suffix = randomBytes(2).toString('hex')
    const extra = { ...s.labels, ...req.resources.labels }
    const o: CallOptions = { signal: req.signal, region: req.region, zone }
    const names = req.ranks.map((rank) => nodeName(req.nameOnCloud, suffix, rank))
    // Every rank at once; each insert's operation is waited on (stockouts show only there). A rank
    // that fails leaves the others for the cluster layer's cleanup of the attempt, found by label.
    const results = await Promise.allSettled(
      req.ranks.map(async (rank, k) => {
        const body = instanceBody({
          name: names[k]!,
          zone,
          resources: req.resources,
          labels: instanceLabels(req.tags, extra, rank),
          networkTag: net.tag,
          network: net.network,
          subnetwork: net.subnetwork,
          settings: s,
          sshKey: `${s.sshUser}:${req.publicKey}`,
          serviceAccount: net.serviceAccount,
          description: `sky cluster ${req.tags['skypilot-display-name'] ?? req.nameOnCloud} (${req.nameOnCloud}), ${rank === 0 ? 'head' : `worker ${rank}`}`,
        })
        const op = await gceOk<GceOperation>('instances', 'insert', { zone, instanceResource: body }, o)
        remember(names[k]!, zone)
        await waitOperation(op, { zone, region: req.region, what: `instances.insert ${names[k]}` }, o)
      }),
    )
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
    return names
  },

  async setRank(region, nameOnCloud, id, rank, o: VmOpOptions = {}) {
    const zone = await zoneOf(region, id, o)
    if (!zone) throw new InfraConfigError(`Instance ${id} of ${nameOnCloud} was not found in ${region}.`, { infra: 'gcp', region })
    const c: CallOptions = { signal: o.signal, region, zone }
    // The label fingerprint guards against a concurrent change: read, set, and once more if it moved.
    for (let attempt = 0; ; attempt++) {
      const inst = await gceOk<GceInstance>('instances', 'get', { zone, instance: id }, c)
      const labels = { ...(inst.labels ?? {}), [TAG_RANK]: String(rank), [TAG_HEAD]: rank === 0 ? '1' : '0' }
      const op = await gce<GceOperation>('instances', 'setLabels', { zone, instance: id, instancesSetLabelsRequestResource: { labels, labelFingerprint: inst.labelFingerprint } }, { ...c, tolerate: attempt < 2 ? [GRPC_CODES.FAILED_PRECONDITION] : [] })
      if (isTolerated(op)) continue
      await waitOperation(op, { zone, region, what: `instances.setLabels ${id}` }, c)
      return
    }
  },

  async list(region, clusters, o: VmOpOptions = {}): Promise<VmInstance[]> {
    if (clusters && clusters.length === 0) return []
    // A filter names at most 50 clusters (Compute limits a filter's length); more go in parallel calls.
    const filters: string[] = []
    if (!clusters) filters.push(`labels.${TAG_CLUSTER}:*`)
    else for (let i = 0; i < clusters.length; i += 50) filters.push(clusters.slice(i, i + 50).map((c) => `(labels.${TAG_CLUSTER} = "${c}")`).join(' OR '))
    const all = (await Promise.all(filters.map((f) => listAll(f, o)))).flat()
    const out: VmInstance[] = []
    for (const z of all) {
      for (const i of z.instances) if (i.name) remember(i.name, z.zone)
      if (regionOfZone(z.zone) !== region) continue
      for (const i of z.instances) out.push(toVm(i))
    }
    return out
  },

  async start(region, ids, o: VmOpOptions = {}) {
    await Promise.all(ids.map((id) => onInstance(region, id, 'start', o)))
  },

  async stop(region, ids, o: VmOpOptions = {}) {
    await Promise.all(ids.map((id) => onInstance(region, id, 'stop', o, [GRPC_CODES.NOT_FOUND])))
  },

  async terminate(region, ids, o: VmOpOptions = {}) {
    await Promise.all(ids.map((id) => onInstance(region, id, 'delete', o, [GRPC_CODES.NOT_FOUND])))
  },

  async openPorts(region, nameOnCloud, ports, o: VmOpOptions = {}) {
    await openPorts(nameOnCloud, ports, gcpSettings(), { signal: o.signal, region })
  },

  async closePorts(region, nameOnCloud, _ports, o: VmOpOptions = {}) {
    await closePorts(nameOnCloud, { signal: o.signal, region })
  },

  async cleanup(region, nameOnCloud, o: VmOpOptions = {}) {
    await deleteRules(nameOnCloud, { signal: o.signal, region })
  },

  regions() {
    const cat = loadCatalog().clouds.get('gcp')
    return cat ? [...new Set(cat.regions.map((r) => r.name))] : []
  },

  nodeRelease: (region) => nodeReleaseFor(region),
}
