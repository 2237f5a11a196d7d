// A deployed server (the compiled binary, with auth) under hostile input: huge bodies are refused
// by route with bounded memory and never echoed; deep or malformed JSON and absurd numbers are
// 400s; every list is paginated with a hard maximum; /api/get refuses another user's request
// before waiting on it; secrets never reach the state database (nor its WAL) in clear.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempHome, TEST_PLUGIN, waitFor, type TempHome } from '../harness'

let h: TempHome
let server: Bun.Subprocess
let base: string
const basic = (cred: string) => ({ authorization: 'Basic ' + Buffer.from(cred).toString('base64') })
const ADMIN = basic('admin:adminpw')
const ALICE = basic('alice:alicepw')
const BOB = basic('bob:bobpw')
const as = (cred: string, args: string[]) => h.sky(args, { env: { SKYPILOT_API_SERVER_ENDPOINT: `http://${cred}@127.0.0.1:${h.port}` } })

function rssKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m?.[1] ?? 0)
}

beforeAll(async () => {
  // The server sits behind a trusted proxy (this test) that forwards client addresses.
  h = await tempHome()
  h.config(`api_server:\n  trusted_proxies: [127.0.0.1]\n  plugins: [${TEST_PLUGIN}]\n`)
  base = h.endpoint
  server = h.spawn(['api', 'start', '--deploy', '--foreground', '--host', '127.0.0.1', '--port', String(h.port)], { env: { SKYPILOT_INITIAL_ADMIN: 'admin:adminpw' } })
  await waitFor(() => fetch(`${base}/api/health`).then((r) => r.ok, () => false), 20_000)
  for (const u of ['alice', 'bob']) expect((await as('admin:adminpw', ['users', 'create', u, '--password', `${u}pw`])).code).toBe(0)
})

afterAll(async () => {
  server?.kill('SIGTERM')
  await server?.exited
  await h.cleanup()
})

describe('bodies', () => {
  test('8 concurrent 120 MB bodies (declared or chunked) get 413, and the server stays small', async () => {
    const big = new Uint8Array(120 << 20).fill(0x20)
    big[0] = 0x5b // '['
    const declared = Array.from({ length: 4 }, () => fetch(`${base}/status`, { method: 'POST', headers: { ...ALICE, 'content-type': 'application/json' }, body: big }).then((r) => r.status, () => 413))
    const chunked = Array.from({ length: 4 }, () => {
      let sent = 0
      const stream = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent >= 120) return c.close()
          sent++
          c.enqueue(big.subarray(0, 1 << 20))
        },
      })
      return fetch(`${base}/launch`, { method: 'POST', headers: { ...ALICE, 'content-type': 'application/json' }, body: stream }).then(async (r) => {
        const text = await r.text()
        expect(text.length).toBeLessThan(2000)
        return r.status
      }, () => 413)
    })
    const statuses = await Promise.all([...declared, ...chunked])
    expect(statuses).toEqual(Array(8).fill(413))
    expect(rssKb(server.pid, 'VmHWM')).toBeLessThan(400 * 1024)
    expect((await fetch(`${base}/api/health`)).status).toBe(200)
  }, 60_000)

  test('a parseable but invalid body is refused without being echoed', async () => {
    const junk = JSON.stringify({ cluster_names: Array.from({ length: 20_000 }, (_, i) => ({ n: `x${i}`.repeat(20) })) })
    expect(junk.length).toBeGreaterThan(1 << 20)
    const r = await fetch(`${base}/status`, { method: 'POST', headers: { ...ALICE, 'content-type': 'application/json' }, body: junk })
    expect(r.status).toBe(400)
    const text = await r.text()
    expect(text.length).toBeLessThan(8000)
    expect(text).not.toContain('x19999')
  })

  test('deep, malformed or odd JSON and absurd numbers are 400s with clear messages', async () => {
    const post = (path: string, body: string) => fetch(`${base}${path}`, { method: 'POST', headers: { ...ALICE, 'content-type': 'application/json' }, body })
    const deep = await post('/status', '['.repeat(100_000) + ']'.repeat(100_000))
    expect(deep.status).toBe(400)
    expect((await deep.json()).error.message).toContain('deeper than 64')
    const deepObj = await post('/status', '{"cluster_names":' + '{"a":'.repeat(5000) + '1' + '}'.repeat(5001))
    expect(deepObj.status).toBe(400)
    expect((await post('/status', '{"cluster_names": [1,')).status).toBe(400)
    expect((await post('/status', '\u0000\u0001')).status).toBe(400)
    for (const q of ['limit=1e309', 'limit=-1', 'limit=5000', 'limit=abc', 'cursor=zzz', 'limit=1.5']) {
      const r = await fetch(`${base}/api/status?${q}`, { headers: ALICE })
      expect(r.status).toBe(400)
      expect((await r.json()).error.code).toBe('VALIDATION')
    }
    expect((await fetch(`${base}/api/get?request_id=x&timeout=1e309`, { headers: ALICE })).status).toBe(400)
    expect((await fetch(`${base}/api/stream?request_id=x&tail=1e309`, { headers: ALICE })).status).toBe(400)
  })
})

describe('lists', () => {
  test('every list is paginated with a hard maximum; the cursor walks all of it', async () => {
    const ids: string[] = []
    for (let i = 0; i < 30; i++) {
      const r = await fetch(`${base}/api/plugins/test.echo`, { method: 'POST', headers: { ...BOB, 'content-type': 'application/json' }, body: JSON.stringify({ i }) })
      ids.push(r.headers.get('x-skypilot-request-id')!)
    }
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const r: Response = await fetch(`${base}/api/status?all_status=true&limit=7${cursor ? `&cursor=${cursor}` : ''}`, { headers: BOB })
      const rows = (await r.json()) as { request_id: string }[]
      expect(rows.length).toBeLessThanOrEqual(7)
      seen.push(...rows.map((x) => x.request_id))
      cursor = r.headers.get('x-sky-next-cursor')
      pages++
    } while (cursor)
    expect(pages).toBe(5)
    expect(new Set(seen)).toEqual(new Set(ids))
    // The CLI walks the pages too.
    const all = await as('bob:bobpw', ['api', 'status', '-a', '-l', 'all', '-o', 'json'])
    expect((JSON.parse(all.stdout) as unknown[]).length).toBe(30)
    // Users and tokens lists take the same limits.
    expect((await fetch(`${base}/users?limit=1001`, { headers: ADMIN })).status).toBe(400)
    const users = await fetch(`${base}/users?limit=1`, { headers: ADMIN })
    expect(((await users.json()) as unknown[]).length).toBe(1)
    expect(users.headers.get('x-sky-next-cursor')).toBeTruthy()
    expect((await fetch(`${base}/api/dashboard/requests?limit=100000`, { headers: ADMIN })).status).toBe(400)
  })
})

describe('access', () => {
  test("/api/get refuses another user's running request at once, not when it finishes", async () => {
    const r = await fetch(`${base}/api/plugins/test.sleep`, { method: 'POST', headers: { ...ALICE, 'content-type': 'application/json' }, body: JSON.stringify({ seconds: 30, lines: 1 }) })
    const id = r.headers.get('x-skypilot-request-id')!
    await waitFor(async () => ((await (await fetch(`${base}/api/status?request_ids=${id}`, { headers: ALICE })).json()) as { status: string }[])[0]?.status === 'RUNNING')
    const bob = await fetch(`${base}/api/get?request_id=${id}&timeout=30`, { headers: BOB })
    expect(bob.status).toBe(403)
    // Refused while alice's request still runs.
    const row = ((await (await fetch(`${base}/api/status?request_ids=${id}`, { headers: ALICE })).json()) as { status: string }[])[0]!
    expect(row.status).toBe('RUNNING')
    await fetch(`${base}/api/cancel`, { method: 'POST', headers: { ...ALICE, 'content-type': 'application/json' }, body: JSON.stringify({ request_ids: [id] }) })
  })
})

describe('login limiting behind a load balancer', () => {
  test("one client's failed logins do not slow or refuse another client's correct login", async () => {
    const from = (ip: string, cred: string) => fetch(`${base}/users/me`, { headers: { ...basic(cred), 'x-forwarded-for': ip } })
    // An attacker (as the proxy reports it) fails six times for alice: its attempts now wait.
    for (let i = 0; i < 6; i++) expect((await from('203.0.113.5', 'alice:guess')).status).toBe(401)
    const order: string[] = []
    const attacker = from('203.0.113.5', 'alice:guess').then((r) => order.push(`attacker:${r.status}`))
    // alice, at her own address behind the same proxy, is answered first, and admitted.
    const alice = from('198.51.100.7', 'alice:alicepw').then((r) => order.push(`alice:${r.status}`))
    await Promise.all([attacker, alice])
    expect(order).toEqual(['alice:200', 'attacker:401'])
    // A client cannot choose its address by adding hops in front: the proxy's last one counts.
    const spoof = await from('198.51.100.7, 203.0.113.5', 'alice:alicepw')
    expect(spoof.status).toBe(200)
  })
})

describe('secrets at rest', () => {
  test('a secret sent with a request is never in the state database or its WAL in clear', async () => {
    const secret = `s3cr3t-${crypto.randomUUID()}`
    const task = `run: echo hi\nsecrets:\n  API_KEY: ${secret}\n`
    const r = await fetch(`${base}/optimize`, { method: 'POST', headers: { ...ALICE, 'content-type': 'application/json' }, body: JSON.stringify({ task, dryrun: true }) })
    expect(r.status).toBe(200)
    const id = r.headers.get('x-skypilot-request-id')!
    // The request runs (so its body was readable by the server) ...
    await waitFor(async () => ((await (await fetch(`${base}/api/get?request_id=${id}`, { headers: ALICE })).json()) as { status: string }).status === 'SUCCEEDED')
    // ... and no file under SKY_HOME holds the secret (state.db, -wal, -shm, logs).
    const files: string[] = []
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name))
        else files.push(join(d, e.name))
      }
    }
    walk(h.dir)
    expect(files.some((f) => f.endsWith('state.db-wal'))).toBe(true)
    for (const f of files) expect(readFileSync(f).includes(Buffer.from(secret))).toBe(false)
  })
})
