// Read-only methods of the Compute test server: the project, zones, regions, machine types, GPU
// types, the default network and its subnets.
import { ACCELERATOR_TYPES, MACHINE_TYPES, offers, type RegionDef } from './catalog.ts'
import { invalidField, notFound } from './errors.ts'
import { fingerprint, timestamp } from './ids.ts'
import { listResponse, requireZone, type Ctx } from './context.ts'
import type { GceState, Json } from './state.ts'

/** A stable 64-bit id for a catalog entry (same name → same id). */
function stableId(name: string): string {
  const n = BigInt('0x' + Buffer.from(fingerprint(name), 'base64').toString('hex')) % 9_000_000_000_000_000_000n
  return (n + 1_000_000_000_000_000_000n).toString()
}

function zone(state: GceState, name: string): Json {
  return {
    kind: 'compute#zone',
    id: stableId(`zone/${name}`),
    creationTimestamp: timestamp(0),
    name,
    description: name,
    status: 'UP',
    region: state.url(`regions/${state.regionOf(name)!.name}`),
    selfLink: state.url(`zones/${name}`),
    availableCpuPlatforms: ['Intel Cascade Lake', 'AMD Milan', 'Intel Sapphire Rapids'],
    supportsPzs: false,
  }
}

function region(state: GceState, r: RegionDef): Json {
  return {
    kind: 'compute#region',
    id: stableId(`region/${r.name}`),
    creationTimestamp: timestamp(0),
    name: r.name,
    description: r.name,
    status: 'UP',
    zones: r.zones.map((z) => state.url(`zones/${z}`)),
    quotas: [
      { metric: 'CPUS', limit: 2400, usage: 0 },
      { metric: 'PREEMPTIBLE_CPUS', limit: 2400, usage: 0 },
      { metric: 'NVIDIA_L4_GPUS', limit: 64, usage: 0 },
      { metric: 'NVIDIA_A100_GPUS', limit: 64, usage: 0 },
      { metric: 'NVIDIA_H100_GPUS', limit: 64, usage: 0 },
    ],
    selfLink: state.url(`regions/${r.name}`),
    supportsPzs: false,
  }
}

function machineTypes(state: GceState, z: string): Json[] {
  return MACHINE_TYPES.filter((m) => offers(state.offerings[z], 'machineTypes', m.name)).map((m) => ({
    kind: 'compute#machineType',
    id: stableId(`machineType/${m.name}`),
    creationTimestamp: timestamp(0),
    name: m.name,
    description: `${m.cpus} vCPU${m.cpus > 1 ? 's' : ''}, ${Math.round(m.memoryMb / 1024)} GB RAM`,
    guestCpus: m.cpus,
    memoryMb: m.memoryMb,
    imageSpaceGb: 0,
    maximumPersistentDisks: 128,
    maximumPersistentDisksSizeGb: '263168',
    zone: z,
    selfLink: state.url(`zones/${z}/machineTypes/${m.name}`),
    isSharedCpu: !!m.sharedCpu,
    ...(m.accelerators ? { accelerators: m.accelerators.map((a) => ({ guestAcceleratorType: a.type, guestAcceleratorCount: a.count })) } : {}),
    architecture: 'X86_64',
  }))
}

function acceleratorTypes(state: GceState, z: string): Json[] {
  return ACCELERATOR_TYPES.filter((a) => offers(state.offerings[z], 'acceleratorTypes', a.name)).map((a) => ({
    kind: 'compute#acceleratorType',
    id: stableId(`acceleratorType/${a.name}`),
    creationTimestamp: timestamp(0),
    name: a.name,
    description: a.description,
    zone: state.url(`zones/${z}`),
    selfLink: state.url(`zones/${z}/acceleratorTypes/${a.name}`),
    maximumCardsPerInstance: a.maxPerInstance,
  }))
}

function one(items: Json[], name: string, resource: string): Json {
  const hit = items.find((i) => i.name === name)
  if (!hit) throw notFound(resource)
  return hit
}

function requireRegion(ctx: Ctx): RegionDef {
  const r = ctx.state.regions.find((x) => x.name === ctx.params.region)
  if (!r) throw invalidField('region', ctx.params.region, 'Unknown region.')
  return r
}

export const viewHandlers = {
  project: (ctx: Ctx): Json => ({
    kind: 'compute#project',
    id: ctx.state.projectId,
    creationTimestamp: timestamp(0),
    name: ctx.state.project,
    commonInstanceMetadata: { kind: 'compute#metadata', fingerprint: fingerprint([]) },
    quotas: [{ metric: 'GPUS_ALL_REGIONS', limit: 64, usage: 0 }, { metric: 'FIREWALLS', limit: 500, usage: ctx.state.firewalls.size }],
    selfLink: ctx.state.url('').replace(/\/$/, ''),
    defaultServiceAccount: `${ctx.state.projectId.slice(0, 12)}-compute@developer.gserviceaccount.com`,
    xpnProjectStatus: 'UNSPECIFIED_XPN_PROJECT_STATUS',
    defaultNetworkTier: 'PREMIUM',
  }),
  zonesList: (ctx: Ctx) => listResponse('compute#zoneList', ctx.state.zones.map((z) => zone(ctx.state, z)), ctx, 'zones'),
  zonesGet: (ctx: Ctx) => one(ctx.state.zones.map((z) => zone(ctx.state, z)), ctx.params.zone!, `projects/${ctx.state.project}/zones/${ctx.params.zone}`),
  regionsList: (ctx: Ctx) => listResponse('compute#regionList', ctx.state.regions.map((r) => region(ctx.state, r)), ctx, 'regions'),
  regionsGet: (ctx: Ctx) => region(ctx.state, requireRegion(ctx)),
  machineTypesList: (ctx: Ctx) => listResponse('compute#machineTypeList', machineTypes(ctx.state, requireZone(ctx)), ctx, `zones/${ctx.params.zone}/machineTypes`),
  machineTypesGet: (ctx: Ctx) =>
    one(machineTypes(ctx.state, requireZone(ctx)), ctx.params.name!, `projects/${ctx.state.project}/zones/${ctx.params.zone}/machineTypes/${ctx.params.name}`),
  acceleratorTypesList: (ctx: Ctx) =>
    listResponse('compute#acceleratorTypeList', acceleratorTypes(ctx.state, requireZone(ctx)), ctx, `zones/${ctx.params.zone}/acceleratorTypes`),
  acceleratorTypesGet: (ctx: Ctx) =>
    one(acceleratorTypes(ctx.state, requireZone(ctx)), ctx.params.name!, `projects/${ctx.state.project}/zones/${ctx.params.zone}/acceleratorTypes/${ctx.params.name}`),
  networksList: (ctx: Ctx) => listResponse('compute#networkList', [ctx.state.network()], ctx, 'global/networks'),
  networksGet: (ctx: Ctx) => one([ctx.state.network()], ctx.params.name!, `projects/${ctx.state.project}/global/networks/${ctx.params.name}`),
  subnetworksList: (ctx: Ctx) => listResponse('compute#subnetworkList', [ctx.state.subnetwork(requireRegion(ctx))], ctx, `regions/${ctx.params.region}/subnetworks`),
  subnetworksGet: (ctx: Ctx) =>
    one([ctx.state.subnetwork(requireRegion(ctx))], ctx.params.name!, `projects/${ctx.state.project}/regions/${ctx.params.region}/subnetworks/${ctx.params.name}`),
}
