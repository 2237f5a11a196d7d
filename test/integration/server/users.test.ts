// /users/* and per-user access through app.handle on a deployed server (Basic auth), plus the
// local server's 404. Who may call what comes from the definitions' `access` and src/core/access.ts.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sshUp } from '../../../src/api/ops/infra'
import { apiCancel } from '../../../src/api/ops/requests'
import { createToken, createUser, listTokens, listUsers, whoAmI } from '../../../src/api/ops/users'
import { NotFoundError, PermissionDeniedError } from '../../../src/core/errors'
import { inProcessServer, type InProcessServer } from '../../harness/app'

let app: InProcessServer
const basic = (u: string, p: string) => `Basic ${btoa(`${u}:${p}`)}`
beforeAll(async () => {
  app = await inProcessServer({ deploy: true, plugins: true, config: 'api_server:\n  initial_admin: root:rootpass1\n' })
  await createUser({ name: 'bob', password: 'bobpass12' }, { client: app.client({ authorization: basic('root', 'rootpass1') }) })
})
afterAll(() => app.close())

const admin = () => app.client({ authorization: basic('root', 'rootpass1') })
const bob = () => app.client({ authorization: basic('bob', 'bobpass12') })

describe('users', () => {
  test('no credentials: 401; wrong ones on the open health route: 401 too', async () => {
    expect((await app.handle('/users/me')).status).toBe(401)
    expect((await app.handle('/api/health')).status).toBe(200)
    expect((await app.handle('/api/health', { headers: { authorization: basic('bob', 'nope-nope') } })).status).toBe(401)
  })

  test('admins list users (times in seconds); users may not', async () => {
    const users = await listUsers({}, { client: admin() })
    expect(users.map((u) => u.name).sort()).toEqual(['bob', 'root'])
    expect(users.every((u) => u.created_at < 1e11 && u.created_at > 1e9)).toBe(true)
    await expect(listUsers({}, { client: bob() })).rejects.toBeInstanceOf(PermissionDeniedError)
    expect(await whoAmI({}, { client: bob() })).toMatchObject({ name: 'bob', role: 'user' })
  })

  test('a user manages their own tokens only', async () => {
    const t = await createToken({ token_name: 'ci' }, { client: bob() })
    expect(t.token).toStartWith('sky_')
    expect(t.user_name).toBe('bob')
    await expect(createToken({ name: 'root' }, { client: bob() })).rejects.toBeInstanceOf(PermissionDeniedError)
    const mine = await listTokens({}, { client: app.client({ token: t.token }) })
    expect(mine.map((x) => x.token_name)).toEqual(['ci'])
  })

  test("admin-only operations refuse users before a request exists", async () => {
    const before = (await app.srv.store.requests.list({})).length
    await expect(sshUp({}, { client: bob() })).rejects.toThrow('Only admins may call sky.ssh_up')
    expect((await app.srv.store.requests.list({})).length).toBe(before)
  })

  test("a user cannot read or cancel another user's request", async () => {
    const id = await admin().submit('/api/plugins/test.sleep', { seconds: 0.01, lines: 1 })
    await admin().get(id)
    await expect(bob().get(id)).rejects.toBeInstanceOf(PermissionDeniedError)
    await expect(apiCancel({ request_ids: [id] }, { client: bob() })).rejects.toBeInstanceOf(PermissionDeniedError)
    const stream = await app.handle(`/api/stream?request_id=${id}`, { headers: { authorization: basic('bob', 'bobpass12') } })
    expect(stream.status).toBe(403)
  })

  test("the dashboard's lists follow the same rules as sky status / sky api status", async () => {
    const mine = await (await app.handle('/api/dashboard/requests', { headers: { authorization: basic('bob', 'bobpass12') } })).json()
    expect(mine.every((r: { user_name: string }) => r.user_name === 'bob')).toBe(true)
    const all = await (await app.handle('/api/dashboard/requests?all_users=true', { headers: { authorization: basic('bob', 'bobpass12') } })).json()
    expect(all.some((r: { user_name: string }) => r.user_name === 'root')).toBe(true)
  })
})

describe('local server', () => {
  test('has no users: 404 with how to get them', async () => {
    await using local = await inProcessServer()
    const err = await listUsers({}, { client: local.client() }).catch((e) => e)
    expect(err).toBeInstanceOf(NotFoundError)
    expect(err.hint).toContain('sky api start --deploy')
  })
})
