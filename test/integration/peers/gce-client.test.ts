// The Compute test server held to a client that is not ours: the real @google-cloud/compute 7.8.0
// (REST transport) under Bun, pointed at it only through GOOGLE_COMPUTE_CUSTOM_ENDPOINT's two
// forms and a fixed access token.
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test'
import { setEnv } from '../../harness/cloud/env.ts'
import { parseComputeEndpoint } from '../../harness/gce/client.ts'
import { createGceServer, type GceServer } from '../../harness/gce/server.ts'
import { clients, rejection, vm, waitDone, type Clients } from './gce-helpers.ts'

let gce: GceServer
let c: Clients
let project: string
let restoreEnv: () => void

beforeAll(() => {
  restoreEnv = setEnv({ METADATA_SERVER_DETECTION: 'none' })
  gce = createGceServer({ offerings: { 'us-east1-b': { machineTypes: ['n1-*', 'e2-*'], acceleratorTypes: ['nvidia-tesla-t4'] } } })
  c = clients(gce)
  project = gce.project
})
afterAll(async () => {
  await gce?.stop()
  restoreEnv?.()
})
beforeEach(() => gce.reset())

test('both forms of GOOGLE_COMPUTE_CUSTOM_ENDPOINT reach the server; other paths are refused clearly', async () => {
  for (const endpoint of [gce.endpoint, `${gce.endpoint}/compute/v1/`]) {
    const [zones] = await clients(gce, gce.token, endpoint).zones.list({ project })
    expect(zones.map((z) => z.name)).toContain('us-central1-a')
  }
  expect(parseComputeEndpoint('https://compute.googleapis.com/compute/v1/')).toEqual({ apiEndpoint: 'compute.googleapis.com', port: 443, protocol: 'https' })
  expect(() => parseComputeEndpoint('http://127.0.0.1:1/foo/')).toThrow(/path must be empty or \/compute\/v1\//)
  expect(gce.calls.every((call) => call.method === 'zones.list' && call.status === 200)).toBe(true)
})

test('project, zones, regions, machine types, GPU types, default network and subnets', async () => {
  const [proj] = await c.projects.get({ project })
  expect(proj.name).toBe(project)
  expect(proj.id).toMatch(/^\d{19}$/)
  const [zone] = await c.zones.get({ project, zone: 'us-central1-a' })
  expect(zone.region).toEndWith('/regions/us-central1')
  const [region] = await c.regions.get({ project, region: 'us-central1' })
  expect(region.zones!.map((z) => z.split('/').pop())).toEqual(['us-central1-a', 'us-central1-b', 'us-central1-c', 'us-central1-f'])

  const [g2] = await c.machineTypes.list({ project, zone: 'us-central1-a', filter: 'name = g2-standard-*' })
  expect(g2.map((m) => m.name)).toContain('g2-standard-48')
  const [a2] = await c.machineTypes.get({ project, zone: 'us-central1-a', machineType: 'a2-highgpu-8g' })
  expect([a2.guestCpus, a2.accelerators?.[0]?.guestAcceleratorType, a2.accelerators?.[0]?.guestAcceleratorCount]).toEqual([96, 'nvidia-tesla-a100', 8])
  const [narrow] = await c.machineTypes.list({ project, zone: 'us-east1-b' })
  expect(narrow.every((m) => /^(n1|e2)-/.test(m.name!))).toBe(true)
  const [gpus] = await c.acceleratorTypes.list({ project, zone: 'us-east1-b' })
  expect(gpus.map((a) => a.name)).toEqual(['nvidia-tesla-t4'])

  const [net] = await c.networks.get({ project, network: 'default' })
  expect(net.autoCreateSubnetworks).toBe(true)
  const [subnets] = await c.subnetworks.list({ project, region: 'us-central1' })
  expect(subnets.map((s) => [s.name, s.ipCidrRange])).toEqual([['default', '10.128.0.0/20']])
})

test('insert → wait → get → list by label → setLabels → stop/start → delete', async () => {
  const [lro] = await c.instances.insert({ project, zone: 'us-central1-a', instanceResource: vm('sky-dev-head', { spot: true, gpu: 'nvidia-l4', machineType: 'g2-standard-8', labels: { 'skypilot-cluster-name': 'dev' } }) })
  const first = lro.latestResponse as unknown as { status: string; id: string; targetId: string; name: string }
  expect(first.status).toBe('PENDING')
  expect(first.id).toMatch(/^\d{19}$/)
  expect(first.name).toMatch(/^operation-\d+-/)
  const [during] = await c.instances.get({ project, zone: 'us-central1-a', instance: 'sky-dev-head' })
  expect(['PROVISIONING', 'STAGING']).toContain(during.status!)
  const done = await waitDone(c, project, 'us-central1-a', lro)
  expect(done.error).toBeFalsy()
  await waitDone(c, project, 'us-central1-a', (await c.instances.insert({ project, zone: 'us-central1-a', instanceResource: vm('other-vm', { labels: { 'skypilot-cluster-name': 'other' } }) }))[0])

  const [inst] = await c.instances.get({ project, zone: 'us-central1-a', instance: 'sky-dev-head' })
  expect(inst.status).toBe('RUNNING')
  expect(inst.id).toBe(first.targetId)
  expect(inst.scheduling?.provisioningModel).toBe('SPOT')
  expect(inst.networkInterfaces![0]!.networkIP).toMatch(/^10\.128\.0\.\d+$/)
  const natIP = inst.networkInterfaces![0]!.accessConfigs![0]!.natIP!
  expect(natIP).toMatch(/^203\.0\.113\.\d+$/)
  expect(inst.guestAccelerators?.[0]?.acceleratorType).toEndWith('/zones/us-central1-a/acceleratorTypes/nvidia-l4')

  const [mine] = await c.instances.list({ project, zone: 'us-central1-a', filter: 'labels.skypilot-cluster-name = dev' })
  expect(mine.map((i) => i.name)).toEqual(['sky-dev-head'])
  const [both] = await c.instances.list({ project, zone: 'us-central1-a', filter: '(labels.skypilot-cluster-name = dev) OR (labels.skypilot-cluster-name = other)' })
  expect(both.length).toBe(2)
  const scopes: string[] = []
  for await (const [scope, list] of c.instances.aggregatedListAsync({ project, filter: 'labels.skypilot-cluster-name = dev AND status = RUNNING' }, { autoPaginate: false })) {
    if (list.instances?.length) scopes.push(`${scope}:${list.instances.map((i) => i.name).join(',')}`)
  }
  expect(scopes).toEqual(['zones/us-central1-a:sky-dev-head'])

  await waitDone(c, project, 'us-central1-a', (await c.instances.setLabels({ project, zone: 'us-central1-a', instance: 'sky-dev-head', instancesSetLabelsRequestResource: { labels: { ...inst.labels, 'skypilot-user': 'tester' }, labelFingerprint: inst.labelFingerprint } }))[0])
  const stale = await rejection(c.instances.setLabels({ project, zone: 'us-central1-a', instance: 'sky-dev-head', instancesSetLabelsRequestResource: { labels: {}, labelFingerprint: inst.labelFingerprint } }))
  expect(stale.code).toBe(9) // FAILED_PRECONDITION (HTTP 412)
  const [relabelled] = await c.instances.get({ project, zone: 'us-central1-a', instance: 'sky-dev-head' })
  expect(relabelled.labels).toEqual({ 'skypilot-cluster-name': 'dev', 'skypilot-user': 'tester' })

  await waitDone(c, project, 'us-central1-a', (await c.instances.stop({ project, zone: 'us-central1-a', instance: 'sky-dev-head' }))[0])
  const [stopped] = await c.instances.get({ project, zone: 'us-central1-a', instance: 'sky-dev-head' })
  expect(stopped.status).toBe('TERMINATED')
  expect(stopped.networkInterfaces![0]!.accessConfigs![0]!.natIP).toBeFalsy()
  await waitDone(c, project, 'us-central1-a', (await c.instances.start({ project, zone: 'us-central1-a', instance: 'sky-dev-head' }))[0])
  const [started] = await c.instances.get({ project, zone: 'us-central1-a', instance: 'sky-dev-head' })
  expect(started.status).toBe('RUNNING')
  expect(started.networkInterfaces![0]!.accessConfigs![0]!.natIP).toMatch(/^203\.0\.113\.\d+$/)
  expect(started.networkInterfaces![0]!.networkIP).toBe(inst.networkInterfaces![0]!.networkIP)

  await waitDone(c, project, 'us-central1-a', (await c.instances.delete({ project, zone: 'us-central1-a', instance: 'sky-dev-head' }))[0])
  const gone = await rejection(c.instances.get({ project, zone: 'us-central1-a', instance: 'sky-dev-head' }))
  expect(gone.code).toBe(5) // NOT_FOUND
  expect(gone.message).toContain("instances/sky-dev-head' was not found")
  const again = await rejection(c.instances.delete({ project, zone: 'us-central1-a', instance: 'sky-dev-head' }))
  expect(again.code).toBe(5)
  expect(gce.callsOf('instances.insert').map((x) => [x.zone, x.machineType, x.spot, x.accelerator ?? null, x.status])).toEqual([
    ['us-central1-a', 'g2-standard-8', true, 'nvidia-l4', 200],
    ['us-central1-a', 'n1-standard-8', false, null, 200],
  ])
})

test('firewall rules: create, get, list by name, delete (global operations)', async () => {
  const rule = { name: 'sky-ports-dev', network: 'global/networks/default', direction: 'INGRESS', allowed: [{ IPProtocol: 'tcp', ports: ['22', '8080-8081'] }], sourceRanges: ['0.0.0.0/0'], targetTags: ['sky-dev'] }
  const [lro] = await c.firewalls.insert({ project, firewallResource: rule })
  expect((await waitDone(c, project, undefined, lro)).error).toBeFalsy()
  const [fw] = await c.firewalls.get({ project, firewall: 'sky-ports-dev' })
  expect([fw.allowed?.[0]?.ports, fw.targetTags, fw.network?.endsWith('/global/networks/default')]).toEqual([['22', '8080-8081'], ['sky-dev'], true])
  const dup = await rejection(c.firewalls.insert({ project, firewallResource: rule }))
  expect([dup.code, dup.message]).toEqual([10, `The resource 'projects/${project}/global/firewalls/sky-ports-dev' already exists`]) // HTTP 409 → ABORTED
  const [listed] = await c.firewalls.list({ project, filter: 'name = sky-ports-*' })
  expect(listed.map((f) => f.name)).toEqual(['sky-ports-dev'])
  await waitDone(c, project, undefined, (await c.firewalls.delete({ project, firewall: 'sky-ports-dev' }))[0])
  expect((await rejection(c.firewalls.get({ project, firewall: 'sky-ports-dev' }))).code).toBe(5)
})

test('bad requests are 400s naming the field', async () => {
  const bad = async (resource: object, zone = 'us-central1-a') => rejection(c.instances.insert({ project, zone, instanceResource: resource }))
  expect((await bad(vm('Bad_Name'))).message).toContain("Invalid value for field 'resource.name'")
  expect((await bad(vm('a', { zone: 'us-east1-b', machineType: 'a2-highgpu-1g' }), 'us-east1-b')).message).toContain("Machine type with name 'a2-highgpu-1g' does not exist in zone 'us-east1-b'")
  const migrate = { ...vm('b', { gpu: 'nvidia-tesla-t4' }), scheduling: { onHostMaintenance: 'MIGRATE' } }
  expect((await bad(migrate)).message).toContain('do not support live migration')
  const label = await bad(vm('c', { labels: { 'skypilot-cluster-name': 'Has Caps' } }))
  expect([label.code, label.message.includes("Label value 'Has Caps' violates format constraints")]).toEqual([3, true])
  const filter = await rejection(c.instances.list({ project, zone: 'us-central1-a', filter: 'labels.a = (' }))
  expect(filter.message).toContain('Invalid list filter expression')
  expect(gce.instances()).toEqual([])
})

test('wait returns a not-yet-DONE operation after its time limit; get shows progress', async () => {
  const slow = createGceServer({ operationDelayMs: 400, waitTimeoutMs: 50 })
  try {
    const s = clients(slow)
    const [lro] = await s.instances.insert({ project: slow.project, zone: 'us-west1-b', instanceResource: vm('slow', { zone: 'us-west1-b' }) })
    const name = (lro.latestResponse as { name: string }).name
    const [early] = await s.zoneOps.wait({ project: slow.project, zone: 'us-west1-b', operation: name })
    expect(['PENDING', 'RUNNING']).toContain(early.status as string)
    const done = await waitDone(s, slow.project, 'us-west1-b', lro)
    expect(done.status).toBe('DONE')
    const [viaGet] = await s.zoneOps.get({ project: slow.project, zone: 'us-west1-b', operation: name })
    expect([viaGet.status, viaGet.progress]).toEqual(['DONE', 100])
    expect(slow.callsOf('zoneOperations.wait').length).toBeGreaterThan(1)
  } finally {
    await slow.stop()
  }
})
