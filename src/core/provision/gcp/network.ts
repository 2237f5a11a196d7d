// Who may reach a GCP cluster: firewall rules of the cluster's VPC (gcp.vpc_name, default
// `default`) that target the network tag every instance of the cluster carries (`sky-<name on
// cloud>`), all named after the cluster so they are found, and removed on down, by name:
//   sky-<name>-ssh       TCP 22 from anywhere (the API server and `ssh <cluster>`)
//   sky-<name>-internal  every protocol between the cluster's own instances (node to node)
//   sky-<name>-p<hash>   the task's ports, from anywhere (one rule holding every opened port;
//                        opening more replaces it with one holding the union)
// Creation is idempotent (an existing rule answers "already exists"), so a launch repeated after a
// crash, or failing over to another zone, reuses what the first one made.
import { createHash } from 'node:crypto'
import { InfraConfigError } from '../errors'
import type { GcpSettings } from './config'
import { gce, gceOk, isTolerated, waitOperation, type CallOptions, type GceFirewall, type GceOperation } from './compute'
import { GRPC_CODES } from './errors'

export const networkTag = (nameOnCloud: string) => `sky-${nameOnCloud}`
const ruleName = (nameOnCloud: string, what: string) => `sky-${nameOnCloud}-${what}`
export const networkUrl = (s: GcpSettings) => `global/networks/${s.vpcName}`

/** `8080`, `9000-9010` → sorted, merged Compute port specs. */
export function portSpecs(ports: string[]): string[] {
  const ranges = ports
    .flatMap((p) => String(p).split(','))
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const [a, b] = p.split('-').map(Number)
      return [a!, Number.isInteger(b) ? b! : a!] as [number, number]
    })
    .sort((x, y) => x[0] - y[0])
  const merged: [number, number][] = []
  for (const r of ranges) {
    const last = merged.at(-1)
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1])
    else merged.push([...r])
  }
  return merged.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`))
}

async function insertRule(body: Record<string, unknown>, o: CallOptions): Promise<void> {
  const op = await gce<GceOperation>('firewalls', 'insert', { firewallResource: body }, { ...o, tolerate: [GRPC_CODES.ALREADY_EXISTS, GRPC_CODES.ABORTED] })
  if (isTolerated(op)) return // made by an earlier attempt
  await waitOperation(op, { zone: null, region: o.region ?? null, what: `firewalls.insert ${String(body.name)}` }, o)
}

async function deleteRule(name: string, o: CallOptions): Promise<void> {
  const op = await gce<GceOperation>('firewalls', 'delete', { firewall: name }, { ...o, tolerate: [GRPC_CODES.NOT_FOUND] })
  if (isTolerated(op)) return
  await waitOperation(op, { zone: null, region: o.region ?? null, what: `firewalls.delete ${name}` }, o).catch((e) => {
    // Deleted meanwhile by someone else: gone is what was wanted.
    if (!/not found|RESOURCE_NOT_FOUND/i.test(String((e as Error).message))) throw e
  })
}

/** The cluster's SSH and node-to-node rules (made when missing). */
export async function ensureBaseRules(nameOnCloud: string, s: GcpSettings, o: CallOptions): Promise<void> {
  const tag = networkTag(nameOnCloud)
  const base = { network: networkUrl(s), direction: 'INGRESS', targetTags: [tag], priority: 1000 }
  await Promise.all([
    insertRule({ ...base, name: ruleName(nameOnCloud, 'ssh'), description: `sky cluster ${nameOnCloud}: SSH`, allowed: [{ IPProtocol: 'tcp', ports: ['22'] }], sourceRanges: ['0.0.0.0/0'] }, o),
    insertRule({ ...base, name: ruleName(nameOnCloud, 'internal'), description: `sky cluster ${nameOnCloud}: node to node`, allowed: [{ IPProtocol: 'tcp' }, { IPProtocol: 'udp' }, { IPProtocol: 'icmp' }], sourceTags: [tag] }, o),
  ])
}

/** Every firewall rule of the cluster (by name). */
export async function clusterRules(nameOnCloud: string, o: CallOptions): Promise<GceFirewall[]> {
  const prefix = ruleName(nameOnCloud, '')
  const rules = await gceOk<GceFirewall[]>('firewalls', 'list', { filter: `name eq "${prefix}.*"` }, o)
  return (rules ?? []).filter((r) => r.name?.startsWith(prefix))
}

const isPortsRule = (nameOnCloud: string, r: GceFirewall) => /^p[0-9a-f]{10}$/.test((r.name ?? '').slice(ruleName(nameOnCloud, '').length))

/** Open `ports` (TCP, from anywhere) on the cluster's instances; ports already open stay open. */
export async function openPorts(nameOnCloud: string, ports: string[], s: GcpSettings, o: CallOptions): Promise<void> {
  if (!ports.length) return
  const existing = (await clusterRules(nameOnCloud, o)).filter((r) => isPortsRule(nameOnCloud, r))
  const have = existing.flatMap((r) => (r.allowed ?? []).flatMap((a) => a.ports ?? []))
  const want = portSpecs([...have, ...ports])
  const name = ruleName(nameOnCloud, `p${createHash('sha256').update(want.join(',')).digest('hex').slice(0, 10)}`)
  if (!existing.some((r) => r.name === name)) {
    await insertRule({ name, description: `sky cluster ${nameOnCloud}: ports ${want.join(', ')}`, network: networkUrl(s), direction: 'INGRESS', targetTags: [networkTag(nameOnCloud)], allowed: [{ IPProtocol: 'tcp', ports: want }], sourceRanges: ['0.0.0.0/0'] }, o)
  }
  await Promise.all(existing.filter((r) => r.name !== name).map((r) => deleteRule(r.name!, o)))
}

/** Close every port the cluster opened (its SSH and node-to-node rules stay until cleanup). */
export async function closePorts(nameOnCloud: string, o: CallOptions): Promise<void> {
  const rules = (await clusterRules(nameOnCloud, o)).filter((r) => isPortsRule(nameOnCloud, r))
  await Promise.all(rules.map((r) => deleteRule(r.name!, o)))
}

/** Remove every rule of the cluster (after its instances are gone). */
export async function deleteRules(nameOnCloud: string, o: CallOptions): Promise<void> {
  const rules = await clusterRules(nameOnCloud, o)
  await Promise.all(rules.map((r) => deleteRule(r.name!, o)))
}

/** The subnetwork to name for a custom VPC in `region` (auto-mode `default` needs none). */
export async function subnetworkFor(region: string, s: GcpSettings, o: CallOptions): Promise<string | null> {
  if (s.vpcName === 'default') return null
  const subnets = (await gceOk<{ name?: string | null; network?: string | null; selfLink?: string | null }[]>('subnetworks', 'list', { region }, { ...o, region })) ?? []
  const mine = subnets.filter((x) => x.network?.endsWith(`/global/networks/${s.vpcName}`))
  if (!mine.length) {
    throw new InfraConfigError(`VPC network '${s.vpcName}' (gcp.vpc_name) has no subnet in ${region}.`, { infra: 'gcp', region, scope: 'region', hint: `Create one there (gcloud compute networks subnets create ... --network ${s.vpcName} --region ${region}), or leave the region out.` })
  }
  return mine[0]!.selfLink ?? `regions/${region}/subnetworks/${mine[0]!.name}`
}
