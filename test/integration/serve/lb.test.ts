// The load balancer in front of real replica processes on loopback.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LoadBalancer, type LbEvent } from '../../../src/core/serve/lb/balancer'
import { createToken } from '../../../src/core/serve/lb/tokens'
import { startReplica, until, type TestReplica } from './replicas'

let a: TestReplica
let b: TestReplica
const extra: TestReplica[] = []
let lb: LoadBalancer | undefined

beforeAll(async () => {
  ;[a, b] = await Promise.all([startReplica('a'), startReplica('b')])
})
afterEach(async () => {
  await lb?.stop()
  lb = undefined
})
afterAll(() => {
  for (const r of [a, b, ...extra]) r.kill('SIGKILL')
})

const start = (opts: Partial<Parameters<typeof LoadBalancer.start>[0]> = {}) => {
  lb = LoadBalancer.start({ port: 0, host: '127.0.0.1', replicas: [{ url: a.url }, { url: b.url }], ...opts })
  return `http://127.0.0.1:${lb.port}`
}
const text = async (url: string, init?: RequestInit) => {
  const r = await fetch(url, init)
  return { status: r.status, body: await r.text() }
}

describe('routing', () => {
  test('round robin alternates replicas', async () => {
    const url = start({ policy: 'round_robin' })
    const got: string[] = []
    for (let i = 0; i < 6; i++) got.push((await text(url)).body)
    expect(new Set(got)).toEqual(new Set(['a', 'b']))
    for (let i = 1; i < got.length; i++) expect(got[i]).not.toBe(got[i - 1])
  })

  test('least_load sends requests away from the replica holding one', async () => {
    const url = start({ policy: 'least_load' })
    const held = fetch(`${url}/hold`)
    const busy = await until(() => lb!.replicas().find((r) => r.inflight === 1), 'the held request to be in flight')
    const other = busy.url === a.url ? 'b' : 'a'
    for (let i = 0; i < 4; i++) expect((await text(url)).body).toBe(other)
    await until(async () => (await text(`${busy.url}/release`)).body === '1', 'the replica to release the held request')
    expect((await held).status).toBe(200)
  })

  test('membership changes apply to the very next request', async () => {
    const url = start()
    lb!.setReplicas([{ url: a.url }])
    expect((await text(url)).body).toBe('a')
    lb!.setReplicas([{ url: b.url }])
    expect((await text(url)).body).toBe('b')
    expect((await text(url)).body).toBe('b')
  })

  test('no ready replicas: 503 "No ready replicas."', async () => {
    const url = start({ replicas: [], serviceName: 'llm' })
    const r = await text(`${url}/v1/models`)
    expect(r.status).toBe(503)
    expect(JSON.parse(r.body).detail).toStartWith('No ready replicas. Use "sky serve status llm"')
    // The request is still counted: a service scaled to zero must see demand to scale up.
    expect(lb!.requestSamples().reduce((n, s) => n + s.count, 0)).toBe(1)
    // With a body the client is still sending, the connection closes after the answer.
    const post = await fetch(`${url}/v1/chat`, { method: 'POST', body: 'x'.repeat(100_000) })
    expect(post.status).toBe(503)
    expect(post.headers.get('connection')).toBe('close')
    expect((await text(`${url}/`)).status).toBe(503)
  })

  test('any path, method, query and header pass through; the client address is forwarded', async () => {
    const url = start()
    const r = await fetch(`${url}/headers?x=1`, { method: 'PATCH', headers: { 'x-custom': 'v' } })
    const h = (await r.json()) as Record<string, string>
    expect(h['x-custom']).toBe('v')
    expect(h['x-forwarded-for']).toBe('127.0.0.1')
    expect(h['x-forwarded-proto']).toBe('http')
    expect((await text(`${url}/nope`)).status).toBe(404)
  })
})

describe('bodies and streaming', () => {
  test('request bodies are forwarded whole, with a length or chunked', async () => {
    const url = start()
    const big = Buffer.alloc(5 * 1024 * 1024, 'x')
    const r1 = await fetch(`${url}/echo`, { method: 'POST', body: big })
    expect(Buffer.from(await r1.arrayBuffer()).equals(big)).toBe(true)
    const parts = ['one ', 'two ', 'three']
    const stream = new ReadableStream({
      pull(ctl) {
        const p = parts.shift()
        if (p === undefined) ctl.close()
        else ctl.enqueue(new TextEncoder().encode(p))
      },
    })
    const r2 = await fetch(`${url}/echo`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit)
    expect(await r2.text()).toBe('one two three')
  })

  test('server-sent events arrive one by one, not buffered', async () => {
    const url = start({ replicas: [{ url: a.url }] })
    // The replica sends event i only when told to (its headers go out with the first event); the
    // client must see each event before the next one is even produced.
    const next = (i: number) => until(async () => (await text(`${a.url}/sse-next?i=${i}`)).body === 'ok', `replica waiting for event ${i}`)
    const pending = fetch(`${url}/sse?n=3`)
    await next(0)
    const res = await pending
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = res.body!.getReader()
    const dec = new TextDecoder()
    for (let i = 0; i < 3; i++) {
      if (i > 0) await next(i)
      let got = ''
      while (!got.includes('\n\n')) got += dec.decode((await reader.read()).value)
      expect(got).toBe(`data: a-${i}\n\n`)
    }
    expect((await reader.read()).done).toBe(true)
  })

  test('chunked responses are relayed chunk by chunk', async () => {
    const url = start()
    expect((await text(`${url}/chunks?n=4&ms=1`)).body).toBe('chunk 0\nchunk 1\nchunk 2\nchunk 3\n')
  })

  test('a replica silent past stream_timeout_seconds: 504', async () => {
    const url = start({ streamTimeoutSeconds: 0.3, replicas: [{ url: a.url }] })
    const r = await text(`${url}/hold`)
    expect(r.status).toBe(504)
    await until(async () => (await text(`${a.url}/release`)).body === '1', 'the replica to release the held request')
  })

  test('WebSocket upgrades are tunnelled both ways', async () => {
    const url = start({ replicas: [{ url: a.url }] })
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`)
    const got: string[] = []
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => ws.send('one')
      ws.onmessage = (e) => {
        got.push(String(e.data))
        if (got.length === 1) ws.send('two')
        else resolve()
      }
      ws.onerror = () => reject(new Error('websocket error'))
    })
    ws.close()
    expect(got).toEqual(['a:one', 'a:two'])
  })

  test('pipelined requests on one connection are answered in order', async () => {
    const url = start({ policy: 'round_robin' })
    const port = Number(new URL(url).port)
    const reply = await new Promise<string>((resolve, reject) => {
      const s = connect(port, '127.0.0.1')
      let buf = ''
      s.on('data', (d) => {
        buf += d.toString()
        if ((buf.match(/HTTP\/1\.1 /g) ?? []).length === 3 && buf.endsWith('survived')) s.end()
      })
      s.on('end', () => resolve(buf))
      s.on('error', reject)
      s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /crash?who=z HTTP/1.1\r\nHost: x\r\n\r\n')
    })
    const statuses = [...reply.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1])
    expect(statuses).toEqual(['200', '404', '200'])
  })

  test('malformed and smuggling-shaped requests are refused', async () => {
    const url = start()
    const port = Number(new URL(url).port)
    const raw = (req: string) =>
      new Promise<string>((resolve) => {
        const s = connect(port, '127.0.0.1')
        let buf = ''
        s.on('data', (d) => (buf += d.toString()))
        s.on('close', () => resolve(buf))
        s.write(req)
      })
    expect(await raw('GET / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')).toStartWith('HTTP/1.1 400')
    expect(await raw('GET / HTTP/2.0\r\n\r\n')).toStartWith('HTTP/1.1 505')
    expect(await raw('POST / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\n')).toStartWith('HTTP/1.1 400')
  })
})

describe('failures', () => {
  test('a replica SIGKILLed under load: idempotent requests are retried, none fails', async () => {
    const victim = await startReplica('victim')
    const survivor = await startReplica('survivor')
    extra.push(victim, survivor)
    const url = start({ policy: 'round_robin', replicas: [{ url: victim.url }, { url: survivor.url }] })
    const events: LbEvent[] = []
    lb!.on((e) => events.push(e))
    const statuses: number[] = []
    const bodies = new Set<string>()
    let killed = false
    let afterKill = 0
    const worker = async () => {
      for (let i = 0; i < 150; i++) {
        const r = await text(url)
        statuses.push(r.status)
        bodies.add(r.body)
        if (killed) afterKill++
        if (statuses.length === 200 && !killed) {
          victim.kill('SIGKILL')
          killed = true
        }
      }
    }
    await Promise.all(Array.from({ length: 8 }, worker))
    expect(killed).toBe(true)
    expect(afterKill).toBeGreaterThan(500)
    expect(statuses.filter((s) => s !== 200)).toEqual([])
    expect(bodies).toEqual(new Set(['victim', 'survivor']))
    expect(events.find((e) => e.type === 'ejected')).toMatchObject({ url: victim.url })
    expect(lb!.replicas().find((r) => r.url === victim.url)!.ejected).toBe(true)
  })

  test('a replica that died with a GET in hand: retried on another', async () => {
    const c = await startReplica('c')
    extra.push(c)
    const url = start({ policy: 'round_robin', replicas: [{ url: c.url }, { url: b.url }] })
    for (let i = 0; i < 3; i++) expect(await text(`${url}/crash?who=c`)).toEqual({ status: 200, body: 'b survived' })
    expect(await c.proc.exited).not.toBe(0)
  })

  test('a replica that died with a POST in hand: 502, never sent twice', async () => {
    const d = await startReplica('d')
    extra.push(d)
    const url = start({ policy: 'round_robin', replicas: [{ url: d.url }, { url: b.url }] })
    const results = [await text(`${url}/crash?who=d`, { method: 'POST' }), await text(`${url}/crash?who=d`, { method: 'POST' })]
    expect(results.map((r) => r.status).sort()).toEqual([200, 502])
    expect(await d.proc.exited).not.toBe(0)
  })

  test('a POST to a replica that refuses connections goes to another (it never got it)', async () => {
    const gone = await startReplica('gone')
    gone.kill('SIGKILL')
    await gone.proc.exited
    const url = start({ policy: 'round_robin', replicas: [{ url: gone.url }, { url: b.url }] })
    for (let i = 0; i < 4; i++) expect((await text(`${url}/count`, { method: 'POST' })).status).toBe(200)
  })

  test('an ejected replica comes back once its port answers', async () => {
    const e = await startReplica('e')
    extra.push(e)
    const port = e.port
    const url = start({ policy: 'round_robin', replicas: [{ url: e.url }, { url: b.url }], checkIntervalMs: 100 })
    const events: LbEvent[] = []
    lb!.on((ev) => events.push(ev))
    e.kill('SIGKILL')
    await e.proc.exited
    await until(() => events.find((ev) => ev.type === 'ejected'), 'ejection')
    expect((await text(url)).body).toBe('b')
    const again = await startReplica('e2', port)
    extra.push(again)
    await until(() => events.find((ev) => ev.type === 'restored'), 'restoration')
    const got = new Set([(await text(url)).body, (await text(url)).body])
    expect(got).toEqual(new Set(['e2', 'b']))
  })
})

describe('stopping', () => {
  test('stop drains in-flight requests, then refuses new ones', async () => {
    const url = start({ replicas: [{ url: a.url }] })
    const held = fetch(`${url}/hold`)
    await until(() => lb!.replicas()[0]!.inflight === 1, 'the held request to be in flight')
    const stopping = lb!.stop(10_000)
    // Release once the replica holds it (the LB counts it in flight before it gets there).
    await until(async () => (await text(`${a.url}/release`)).body === '1', 'the replica to release the held request')
    expect(await (await held).text()).toBe('a released')
    await stopping
    lb = undefined
    await expect(fetch(url)).rejects.toBeDefined()
  })
})

describe('endpoint auth and TLS', () => {
  test('bearer tokens: none → 401, unknown → 401, valid → 200, revoked → 401', async () => {
    const t1 = createToken()
    const t2 = createToken()
    const url = start({ tokenHashes: [t1.hash, t2.hash] })
    expect((await text(url)).status).toBe(401)
    expect((await fetch(url)).headers.get('www-authenticate')).toBe('Bearer')
    expect((await text(url, { headers: { authorization: `Bearer ${createToken().token}` } })).status).toBe(401)
    expect((await text(url, { headers: { authorization: 'Basic dXNlcjpwYXNz' } })).status).toBe(401)
    expect((await text(url, { headers: { authorization: `Bearer ${t1.token}` } })).status).toBe(200)
    // The token is the load balancer's: the replica never sees it.
    const h = (await (await fetch(`${url}/headers`, { headers: { authorization: `Bearer ${t1.token}` } })).json()) as Record<string, string>
    expect(h.authorization).toBeUndefined()
    lb!.setTokenHashes([t2.hash])
    expect((await text(url, { headers: { authorization: `Bearer ${t1.token}` } })).status).toBe(401)
    expect((await text(url, { headers: { authorization: `bearer ${t2.token}` } })).status).toBe(200)
    // Unauthenticated requests do not drive autoscaling.
    expect(lb!.requestSamples().reduce((n, s) => n + s.count, 0)).toBe(3)
  })

  test('TLS from keyfile and certfile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sky-lb-tls-'))
    try {
      const key = join(dir, 'key.pem')
      const cert = join(dir, 'cert.pem')
      const r = Bun.spawnSync(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stderr: 'pipe' })
      expect(r.exitCode).toBe(0)
      start({ tls: { keyfile: key, certfile: cert } })
      const res = await fetch(`https://127.0.0.1:${lb!.port}/headers`, { tls: { ca: await Bun.file(cert).text() } } as RequestInit)
      expect(res.status).toBe(200)
      expect(((await res.json()) as Record<string, string>)['x-forwarded-proto']).toBe('https')
      await expect(fetch(`http://127.0.0.1:${lb!.port}/`).then((x) => x.status)).rejects.toBeDefined()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
