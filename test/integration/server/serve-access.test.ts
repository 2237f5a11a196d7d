// Who may change whose service (src/core/access.ts), through app.handle on a deployed server: any
// user lists every service; only its owner or an admin may update it, take it (or a replica)
// down, read its logs or manage its tokens. Services that serve traffic: test/e2e/serve-*.test.ts.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { down, logs, status, tokenCreate, tokenList, tokenRevoke, up, update } from '../../../src/api/ops/serve'
import { createUser } from '../../../src/api/ops/users'
import { PermissionDeniedError } from '../../../src/core/errors'
import { inProcessServer, type InProcessServer } from '../../harness/app'

let app: InProcessServer
const basic = (u: string, p: string) => `Basic ${btoa(`${u}:${p}`)}`
const admin = () => app.client({ authorization: basic('root', 'rootpass1') })
const bob = () => app.client({ authorization: basic('bob', 'bobpass12') })
// No infra offers eight H100s: the replicas never launch, and nothing listens but the load balancer.
const TASK = 'service:\n  readiness_probe: /health\n  replicas: 1\nresources:\n  accelerators: H100:8\n  ports: 8080\nrun: echo never\n'

beforeAll(async () => {
  app = await inProcessServer({ deploy: true, config: 'api_server:\n  initial_admin: root:rootpass1\n' })
  await createUser({ name: 'bob', password: 'bobpass12' }, { client: admin() })
  const c = admin()
  await c.get(await up({ task: TASK, service_name: 'roots' }, { client: c }))
})
afterAll(async () => {
  const c = admin()
  await c.get(await down({ service_names: ['roots'], purge: true }, { client: c })).catch(() => undefined)
  await app.close()
})

describe("services: whose service a user may change", () => {
  test("a user sees every service, but may not change another's", async () => {
    const c = bob()
    expect((await c.get(await status({}, { client: c }))).map((s) => [s.name, s.user_name])).toEqual([['roots', 'root']])
    const refused = [
      await update({ service_name: 'roots', task: TASK }, { client: c }),
      await down({ service_names: ['roots'] }, { client: c }),
      await down({ service_names: ['roots'], replica_id: 1 }, { client: c }),
      await logs({ service_name: 'roots', target: 'controller', follow: false }, { client: c }),
      await tokenCreate({ service_name: 'roots' }, { client: c }),
      await tokenList({ service_name: 'roots' }, { client: c }),
      await tokenRevoke({ service_name: 'roots', name: 'any' }, { client: c }),
    ]
    for (const id of refused) {
      const e = await c.get(id).catch((x: unknown) => x)
      expect(e).toBeInstanceOf(PermissionDeniedError)
      expect((e as Error).message).toBe("Service 'roots' belongs to user 'root'; only they or an admin may change it.")
    }
    // -a takes down only the caller's own services: none.
    expect(await c.get(await down({ all: true }, { client: c }))).toEqual({ removed: [], still_shutting_down: [] })
    expect((await c.get(await status({}, { client: c }))).map((s) => s.name)).toEqual(['roots'])
  })

  test("an admin may manage another user's service", async () => {
    const c = bob()
    const made = await c.get(await up({ task: TASK, service_name: 'bobs' }, { client: c }))
    expect(made.service_name).toBe('bobs')
    const a = admin()
    const tok = await a.get(await tokenCreate({ service_name: 'bobs', name: 'by-admin' }, { client: a }))
    expect((await a.get(await tokenList({ service_name: 'bobs' }, { client: a }))).map((t) => [t.name, t.created_by])).toEqual([['by-admin', 'root']])
    expect(await c.get(await tokenList({ service_name: 'bobs' }, { client: c }))).toHaveLength(1)
    expect(await a.get(await tokenRevoke({ service_name: 'bobs', name: tok.name }, { client: a }))).toEqual({ revoked: 'by-admin' })
    expect((await a.get(await down({ service_names: ['bobs'], purge: true }, { client: a }))).removed).toEqual(['bobs'])
  }, 60_000)
})
