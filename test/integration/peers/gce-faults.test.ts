// Each fault rule of the Compute test server, mapped to what the real @google-cloud/compute client
// surfaces: capacity only inside the finished operation; quota, auth and permission errors as an
// immediate rejection (GoogleError with the gRPC code, and reason / metadata from ErrorInfo).
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test'
import { setEnv } from '../../harness/cloud/env.ts'
import { createGceServer, type GceServer } from '../../harness/gce/server.ts'
import { clients, rejection, vm, waitDone, type Clients } from './gce-helpers.ts'

let gce: GceServer
let c: Clients
let project: string
let restoreEnv: () => void

beforeAll(() => {
  restoreEnv = setEnv({ METADATA_SERVER_DETECTION: 'none' })
  gce = createGceServer()
  c = clients(gce)
  project = gce.project
})
afterAll(async () => {
  await gce?.stop()
  restoreEnv?.()
})
beforeEach(() => {
  gce.reset()
  gce.setToken('sky-test-token')
})

const insert = (zone: string, name: string, o: Parameters<typeof vm>[1] = {}) => c.instances.insert({ project, zone, instanceResource: vm(name, { zone, ...o }) })

test('ZONE_RESOURCE_POOL_EXHAUSTED arrives only in the DONE operation; the instance is gone; the next zone works', async () => {
  const rule = gce.fail({ zone: ['us-central1-a', 'us-central1-b'], machineType: 'a2-highgpu-8g', spot: true, fault: 'ZONE_RESOURCE_POOL_EXHAUSTED' })
  for (const zone of ['us-central1-a', 'us-central1-b']) {
    const [lro] = await insert(zone, 'train-head', { machineType: 'a2-highgpu-8g', spot: true })
    const op = await waitDone(c, project, zone, lro)
    expect(op.error?.errors?.[0]?.code).toBe('ZONE_RESOURCE_POOL_EXHAUSTED')
    expect(op.error?.errors?.[0]?.message).toContain(`The zone 'projects/${project}/zones/${zone}' does not have enough resources`)
    expect((await rejection(c.instances.get({ project, zone, instance: 'train-head' }))).code).toBe(5)
  }
  // On-demand in the same zone is not matched by the spot rule.
  expect((await waitDone(c, project, 'us-central1-a', (await insert('us-central1-a', 'train-od', { machineType: 'a2-highgpu-8g' }))[0])).error).toBeFalsy()
  expect((await waitDone(c, project, 'us-central1-c', (await insert('us-central1-c', 'train-head', { machineType: 'a2-highgpu-8g', spot: true }))[0])).error).toBeFalsy()
  expect(rule.hits).toBe(2)
  expect(gce.callsOf('instances.insert').map((x) => [x.zone, x.spot, x.status, x.fault ?? null])).toEqual([
    ['us-central1-a', true, 200, 'ZONE_RESOURCE_POOL_EXHAUSTED'],
    ['us-central1-b', true, 200, 'ZONE_RESOURCE_POOL_EXHAUSTED'],
    ['us-central1-a', false, 200, null],
    ['us-central1-c', true, 200, null],
  ])
})

test('stockout variants: _WITH_DETAILS (with a STOCKOUT error detail) and a custom code inside the operation', async () => {
  gce.fail({ zone: 'us-east1-b', fault: 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS', times: 1 })
  gce.fail({ zone: 'us-east1-c', fault: { operationError: 'QUOTA_EXCEEDED', message: "Quota 'CPUS' exceeded.  Limit: 24.0 in region us-east1.", httpStatus: 403 } })
  const details = await waitDone(c, project, 'us-east1-b', (await insert('us-east1-b', 'a'))[0])
  expect(details.error?.errors?.[0]?.code).toBe('ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS')
  expect(JSON.stringify(details.error)).toContain('STOCKOUT')
  const inOp = await waitDone(c, project, 'us-east1-c', (await insert('us-east1-c', 'b'))[0])
  expect(inOp.error?.errors?.[0]).toMatchObject({ code: 'QUOTA_EXCEEDED', message: "Quota 'CPUS' exceeded.  Limit: 24.0 in region us-east1." })
  // times: 1 — the second insert in us-east1-b succeeds.
  expect((await waitDone(c, project, 'us-east1-b', (await insert('us-east1-b', 'c'))[0])).error).toBeFalsy()
})

test('QUOTA_EXCEEDED is an immediate 403 naming the metric and the region; other regions launch', async () => {
  gce.fail({ region: 'us-central1', fault: 'QUOTA_EXCEEDED' })
  const err = await rejection(insert('us-central1-f', 'gpu', { gpu: 'nvidia-l4', machineType: 'g2-standard-8', spot: true }))
  expect(err.code).toBe(7) // PERMISSION_DENIED (HTTP 403)
  expect(err.message).toBe("Quota 'PREEMPTIBLE_NVIDIA_L4_GPUS' exceeded.  Limit: 0.0 in region us-central1.")
  expect(err.reason).toBe('QUOTA_EXCEEDED')
  expect(err.errorInfoMetadata).toMatchObject({ quota_metric: 'PREEMPTIBLE_NVIDIA_L4_GPUS', region: 'us-central1' })
  expect(gce.instances()).toEqual([])
  expect((await waitDone(c, project, 'us-west1-a', (await insert('us-west1-a', 'gpu', { gpu: 'nvidia-l4', machineType: 'g2-standard-8' }))[0])).error).toBeFalsy()

  gce.clearFaults()
  gce.fail({ fault: 'QUOTA_EXCEEDED', quotaMetric: 'GPUS_ALL_REGIONS' })
  const global = await rejection(insert('europe-west4-a', 'h100', { machineType: 'a3-highgpu-8g' }))
  expect(global.message).toBe("Quota 'GPUS_ALL_REGIONS' exceeded.  Limit: 0.0 globally.")
  expect(gce.callsOf('instances.insert').map((x) => [x.region, x.accelerator, x.status, x.fault ?? null])).toEqual([
    ['us-central1', 'nvidia-l4', 403, 'QUOTA_EXCEEDED'],
    ['us-west1', 'nvidia-l4', 200, null],
    ['europe-west4', 'nvidia-h100-80gb', 403, 'QUOTA_EXCEEDED'],
  ])
})

test('a stopped instance can fail to start for capacity; it stays TERMINATED', async () => {
  await waitDone(c, project, 'us-west1-b', (await insert('us-west1-b', 'dev'))[0])
  await waitDone(c, project, 'us-west1-b', (await c.instances.stop({ project, zone: 'us-west1-b', instance: 'dev' }))[0])
  gce.fail({ method: 'instances.start', zone: 'us-west1-b', fault: 'ZONE_RESOURCE_POOL_EXHAUSTED' })
  const op = await waitDone(c, project, 'us-west1-b', (await c.instances.start({ project, zone: 'us-west1-b', instance: 'dev' }))[0])
  expect(op.error?.errors?.[0]?.code).toBe('ZONE_RESOURCE_POOL_EXHAUSTED')
  expect(gce.instance('us-west1-b', 'dev')?.status).toBe('TERMINATED')
  expect(gce.callsOf('instances.start')[0]).toMatchObject({ machineType: 'n1-standard-8', spot: false, fault: 'ZONE_RESOURCE_POOL_EXHAUSTED' })
  expect(() => gce.fail({ method: 'instances.get', fault: 'ZONE_RESOURCE_POOL_EXHAUSTED' })).toThrow(/return no operation/)
})

test('a wrong token is a 401 (UNAUTHENTICATED) on every call; so is the UNAUTHENTICATED rule', async () => {
  const wrong = clients(gce, 'not-the-token')
  const err = await rejection(wrong.zones.list({ project }))
  expect(err.code).toBe(16)
  expect(err.message).toContain('Request had invalid authentication credentials')
  gce.setToken('rotated-token')
  expect((await rejection(c.projects.get({ project }))).code).toBe(16)
  const rotated = clients(gce, 'rotated-token')
  await rotated.projects.get({ project })
  gce.fail({ method: 'projects.get', fault: 'UNAUTHENTICATED', times: 1 })
  expect((await rejection(rotated.projects.get({ project }))).code).toBe(16)
  expect(gce.calls.map((x) => [x.method, x.status])).toEqual([
    ['zones.list', 401],
    ['projects.get', 401],
    ['projects.get', 200],
    ['projects.get', 401],
  ])
})

test('PERMISSION_DENIED for one method; an unknown project is a 404', async () => {
  gce.fail({ method: 'firewalls.insert', fault: 'PERMISSION_DENIED' })
  const denied = await rejection(c.firewalls.insert({ project, firewallResource: { name: 'sky-x', allowed: [{ IPProtocol: 'tcp', ports: ['22'] }] } }))
  expect([denied.code, denied.message]).toEqual([7, `Required 'compute.firewalls.insert' permission for 'projects/${project}'`])
  const missing = await rejection(c.projects.get({ project: 'no-such-project' }))
  expect([missing.code, missing.message]).toEqual([5, "The resource 'projects/no-such-project' was not found"])
})

test('preemption and deletion behind the provisioner’s back show in get and list', async () => {
  await waitDone(c, project, 'us-central1-a', (await insert('us-central1-a', 'spot-1', { spot: true }))[0])
  await waitDone(c, project, 'us-central1-a', (await insert('us-central1-a', 'vm-2'))[0])
  expect(gce.preempt('us-central1-a', 'spot-1')).toBe('TERMINATED')
  expect(gce.deleteInstance('us-central1-a', 'vm-2')).toBe(true)
  const [left] = await c.instances.list({ project, zone: 'us-central1-a' })
  expect(left.map((i) => [i.name, i.status])).toEqual([['spot-1', 'TERMINATED']])
})
