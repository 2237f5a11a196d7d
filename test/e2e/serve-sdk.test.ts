// Services through the SDK (`serve` namespace of sky/sdk, derived from src/api/ops/serve.ts)
// against an API server started by the compiled binary: up, status until a replica is READY, the
// endpoint answers, a token round trip, down.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { get, parseEndpoint, serve, SkyClient } from 'sky/sdk'
import { localAuth, tempHome, waitFor, type TempHome } from '../harness'
import { get as httpGet, killLeftovers, serviceYaml } from '../harness/serve'

let h: TempHome
let client: SkyClient

beforeAll(async () => {
  h = await tempHome()
  expect((await h.sky(['api', 'start'])).code).toBe(0)
  client = new SkyClient({
    endpoint: parseEndpoint(h.endpoint),
    autoStart: false,
    fetch: (url, init) => fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), ...localAuth(url) } }),
  })
})
afterAll(async () => {
  await h.sky(['serve', 'down', '-a', '-y'], { timeoutMs: 60_000 })
  killLeftovers(h)
  await h.cleanup()
})

describe('serve in the SDK', () => {
  test('up → status → endpoint answers → down', async () => {
    const task = readFileSync(serviceYaml(h, 'sdk.yaml', { replicas: 1 }), 'utf8')
    const up = await get(await serve.up({ task, service_name: 'sdk-svc' }, { client }), { client })
    expect(up.service_name).toBe('sdk-svc')
    expect(up.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const svc = await waitFor(async () => {
      const [s] = await get(await serve.status({ service_names: ['sdk-svc'] }, { client }), { client })
      return s?.status === 'READY' ? s : undefined
    }, 60_000, 200)
    expect(svc.replica_info).toMatchObject([{ replica_id: 1, version: 1, status: 'READY', cluster_name: 'sdk-svc-1' }])
    expect(await httpGet(up.endpoint + '/')).toEqual({ status: 200, body: 'v1-r1' })
    const made = await get(await serve.tokenCreate({ service_name: 'sdk-svc', name: 'k' }, { client }), { client })
    expect(made.token).toMatch(/^sky_svc_/)
    expect((await get(await serve.tokenList({ service_name: 'sdk-svc' }, { client }), { client })).map((t) => t.name)).toEqual(['k'])
    const down = await get(await serve.down({ service_names: ['sdk-svc'] }, { client }), { client })
    expect(down).toEqual({ removed: ['sdk-svc'], still_shutting_down: [] })
    expect(await get(await serve.status({}, { client }), { client })).toEqual([])
  }, 120_000)
})
