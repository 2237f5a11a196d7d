// Validating an `instances.insert` body and building the instance resource Compute would store:
// full resource URLs, 64-bit ids as strings, fingerprints, a networkIP from the region's default
// subnet and a natIP for each access config (addresses that are never dialled).
import { ACCELERATOR_TYPES, MACHINE_TYPES, offers } from './catalog.ts'
import { GceHttpError, alreadyExists, invalidField, required } from './errors.ts'
import { fingerprint, lastSegment, newId, timestamp } from './ids.ts'
import type { GceState, Json } from './state.ts'

const NAME_RE = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/
const LABEL_KEY_RE = /^[a-z][a-z0-9_-]{0,62}$/
const LABEL_VALUE_RE = /^[a-z0-9_-]{0,63}$/

export function validateName(field: string, name: unknown): string {
  if (typeof name !== 'string' || !name) throw required(field)
  if (!NAME_RE.test(name)) throw invalidField(field, name, "Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'")
  return name
}

export function validateLabels(field: string, labels: unknown): Record<string, string> {
  if (labels === undefined || labels === null) return {}
  if (typeof labels !== 'object') throw invalidField(field, labels, 'Labels must be a map of strings.')
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_KEY_RE.test(k)) throw invalidField(field, labels, `Label key '${k}' violates format constraints. The key must start with a lowercase character, can only contain lowercase letters, numeric characters, underscores and dashes, and must be at most 63 characters long.`)
    if (typeof v !== 'string' || !LABEL_VALUE_RE.test(v)) throw invalidField(field, labels, `Label value '${v}' violates format constraints. The value can only contain lowercase letters, numeric characters, underscores and dashes, and must be at most 63 characters long.`)
  }
  return { ...(labels as Record<string, string>) }
}

export function isSpot(scheduling: Json | undefined): boolean {
  return scheduling?.provisioningModel === 'SPOT' || scheduling?.preemptible === true
}

/** GPU type names of an instance request or resource: guestAccelerators, else the machine type's own. */
export function acceleratorsOf(body: Json | undefined): string[] {
  const guest = ((body?.guestAccelerators as Json[] | undefined) ?? []).map((g) => lastSegment(String(g.acceleratorType ?? '')))
  if (guest.length) return guest
  const mt = MACHINE_TYPES.find((m) => m.name === lastSegment(String(body?.machineType ?? '')))
  return mt?.accelerators?.map((a) => a.type) ?? []
}

export function buildInstance(state: GceState, zone: string, body: Json): Json {
  const name = validateName('resource.name', body.name)
  if (state.instances.has(state.instanceKey(zone, name))) throw alreadyExists(`projects/${state.project}/zones/${zone}/instances/${name}`)
  const labels = validateLabels('resource.labels', body.labels)
  const region = state.regionOf(zone)!
  const offering = state.offerings[zone]

  if (!body.machineType) throw required('resource.machineType')
  const mtName = lastSegment(String(body.machineType))
  const mt = MACHINE_TYPES.find((m) => m.name === mtName)
  if (!mt || !offers(offering, 'machineTypes', mtName)) {
    throw invalidField('resource.machineType', body.machineType, `Machine type with name '${mtName}' does not exist in zone '${zone}'.`)
  }
  const guest = ((body.guestAccelerators as Json[] | undefined) ?? []).map((g, i) => {
    const field = `resource.guestAccelerators[${i}].acceleratorType`
    const type = lastSegment(String(g.acceleratorType ?? ''))
    const def = ACCELERATOR_TYPES.find((a) => a.name === type)
    if (!def || !offers(offering, 'acceleratorTypes', type)) throw invalidField(field, g.acceleratorType, `Accelerator type '${type}' does not exist in zone '${zone}'.`)
    const count = Number(g.acceleratorCount ?? 1)
    if (!Number.isInteger(count) || count < 1 || count > def.maxPerInstance) {
      throw invalidField(`resource.guestAccelerators[${i}].acceleratorCount`, g.acceleratorCount, `Must be between 1 and ${def.maxPerInstance}.`)
    }
    return { acceleratorType: state.url(`zones/${zone}/acceleratorTypes/${type}`), acceleratorCount: count }
  })
  const spot = isSpot(body.scheduling)
  const scheduling: Json = {
    onHostMaintenance: body.scheduling?.onHostMaintenance ?? (spot ? 'TERMINATE' : 'MIGRATE'),
    automaticRestart: body.scheduling?.automaticRestart ?? !spot,
    preemptible: spot,
    provisioningModel: spot ? 'SPOT' : 'STANDARD',
    ...(spot ? { instanceTerminationAction: body.scheduling?.instanceTerminationAction ?? 'STOP' } : {}),
  }
  if ((guest.length || mt.accelerators) && scheduling.onHostMaintenance !== 'TERMINATE') {
    throw new GceHttpError(400, 'invalid', "Invalid resource usage: 'Instances with guest accelerators do not support live migration.'.")
  }

  const disks = (body.disks as Json[] | undefined) ?? []
  if (!disks.length) throw invalidField('resource.disks', '', 'No disks are specified.')
  const builtDisks = disks.map((d, i) => {
    if (d.boot && !d.source && !d.initializeParams?.sourceImage) throw invalidField(`resource.disks[${i}]`, d, 'Boot disk must have a source specified.')
    const diskName = d.initializeParams?.diskName ?? (i === 0 ? name : `${name}-${i}`)
    return {
      kind: 'compute#attachedDisk',
      type: 'PERSISTENT',
      mode: d.mode ?? 'READ_WRITE',
      source: d.source ?? state.url(`zones/${zone}/disks/${diskName}`),
      deviceName: d.deviceName ?? diskName,
      index: i,
      boot: !!d.boot,
      autoDelete: d.autoDelete ?? true,
      interface: d.interface ?? 'SCSI',
      diskSizeGb: String(d.initializeParams?.diskSizeGb ?? 10),
      architecture: 'X86_64',
    }
  })

  const nics = (body.networkInterfaces as Json[] | undefined) ?? []
  if (!nics.length) throw invalidField('resource.networkInterfaces', '', 'At least one network interface is required.')
  nics.forEach((nic, i) => {
    if (!state.isDefaultNetwork(nic.network)) throw invalidField(`resource.networkInterfaces[${i}].network`, nic.network, 'The referenced network resource cannot be found.')
  })
  // Addresses last: nothing below can fail, so none is handed out for a rejected request.
  const builtNics = nics.map((nic, i) => {
    return {
      kind: 'compute#networkInterface',
      network: state.url('global/networks/default'),
      subnetwork: state.url(`regions/${region.name}/subnetworks/default`),
      networkIP: state.allocInternalIp(region),
      name: `nic${i}`,
      accessConfigs: ((nic.accessConfigs as Json[] | undefined) ?? []).map((ac) => ({
        kind: 'compute#accessConfig',
        type: 'ONE_TO_ONE_NAT',
        name: ac.name ?? 'External NAT',
        natIP: state.allocNatIp(),
        networkTier: ac.networkTier ?? 'PREMIUM',
      })),
      fingerprint: fingerprint(`${name}/nic${i}`),
      stackType: 'IPV4_ONLY',
    }
  })

  const metadataItems = (body.metadata?.items as Json[] | undefined) ?? []
  const tags = (body.tags?.items as string[] | undefined) ?? []
  return {
    kind: 'compute#instance',
    id: newId(),
    creationTimestamp: timestamp(),
    name,
    ...(body.description ? { description: body.description } : {}),
    tags: { ...(tags.length ? { items: tags } : {}), fingerprint: fingerprint(tags) },
    machineType: state.url(`zones/${zone}/machineTypes/${mtName}`),
    status: 'PROVISIONING',
    zone: state.url(`zones/${zone}`),
    canIpForward: !!body.canIpForward,
    networkInterfaces: builtNics,
    disks: builtDisks,
    metadata: { kind: 'compute#metadata', fingerprint: fingerprint(metadataItems), ...(metadataItems.length ? { items: metadataItems } : {}) },
    serviceAccounts: body.serviceAccounts ?? [],
    selfLink: state.url(`zones/${zone}/instances/${name}`),
    scheduling,
    cpuPlatform: 'Unknown CPU Platform',
    labels,
    labelFingerprint: fingerprint(labels),
    startRestricted: false,
    deletionProtection: !!body.deletionProtection,
    ...(guest.length ? { guestAccelerators: guest } : {}),
    fingerprint: fingerprint(`${name}/${Date.now()}`),
  }
}
