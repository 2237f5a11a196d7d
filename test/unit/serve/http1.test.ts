import { describe, expect, test } from 'bun:test'
import { BodyFramer, ChunkedScanner, headEnd, parseRequestHead, parseResponseHead, type RequestHead } from '../../../src/core/serve/lb/http1'
import { makePolicy, type Candidate } from '../../../src/core/serve/lb/policies'
import { targetQpsFor } from '../../../src/core/serve/accelerator-match'

const req = (s: string) => {
  const b = Buffer.from(s)
  return parseRequestHead(b, headEnd(b))
}
const ok = (s: string) => {
  const h = req(s)
  if ('status' in h) throw new Error(h.message)
  return h as RequestHead
}

describe('request heads', () => {
  test('framing, close, auth and hop-by-hop lines', () => {
    const h = ok('POST /v1/chat?x=1 HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\nContent-Length: 12\r\nAuthorization: Bearer t\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n')
    expect(h).toMatchObject({ method: 'POST', target: '/v1/chat?x=1', minor: 1, contentLength: 12, chunked: false, close: false, authorization: 'Bearer t', forwardedFor: '1.2.3.4' })
    const dropped = []
    for (let i = 0; i < h.hop.length; i += 2) dropped.push(h.text.slice(h.hop[i], h.hop[i + 1]).split(':')[0])
    expect(dropped.sort()).toEqual(['Connection', 'X-Forwarded-For', 'X-Secret'])
    expect(ok('GET / HTTP/1.0\r\n\r\n').close).toBe(true)
    expect(ok('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n').close).toBe(false)
    expect(ok('GET / HTTP/1.1\r\nconnection: Close\r\n\r\n').close).toBe(true)
    expect(ok('GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n').upgrade).toBe('websocket')
    expect(ok('POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n').chunked).toBe(true)
    expect(ok('POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n').contentLength).toBe(5)
  })

  const refused: [string, number][] = [
    ['GET / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n', 400],
    ['GET / HTTP/1.1\r\nX: a\nTransfer-Encoding: chunked\r\n\r\n', 400],
    ['GET / HTTP/1.1\r\nX: a\rb\r\n\r\n', 400],
    ['GET / HTTP/1.1\r\nno colon\r\n\r\n', 400],
    ['GET  / HTTP/1.1\r\n\r\n', 400],
    ['GET /a b HTTP/1.1\r\n\r\n', 400],
    ['GET / HTTP/2.0\r\n\r\n', 505],
    ['CONNECT a:443 HTTP/1.1\r\n\r\n', 501],
    ['G(T / HTTP/1.1\r\n\r\n', 400],
    ['GET x HTTP/1.1\r\n\r\n', 400],
  ]
  for (const [raw, status] of refused) test(`refused ${status}: ${JSON.stringify(raw.split('\r\n\r\n')[0])}`, () => expect(req(raw)).toMatchObject({ status }))
})

describe('response heads and bodies', () => {
  const res = (s: string) => {
    const b = Buffer.from(s)
    return parseResponseHead(b, headEnd(b))
  }
  test('status and framing', () => {
    expect(res('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n')).toEqual({ status: 200, minor: 1, contentLength: 5, chunked: false, close: false })
    expect(res('HTTP/1.1 200\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n')).toMatchObject({ chunked: true, contentLength: -1, close: true })
    expect(res('HTTP/1.0 200 OK\r\n\r\n')).toMatchObject({ minor: 0, close: true, contentLength: -1 })
    expect(res('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n')).toBeUndefined()
    expect(res('HTTP/2 200\r\n\r\n')).toBeUndefined()
    expect(res('HTTP/1.1 20 OK\r\n\r\n')).toBeUndefined()
  })

  test('a chunked body ends where it ends, however it is split', () => {
    const body = Buffer.from('5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: x\r\n\r\n')
    const next = Buffer.from('HTTP/1.1 200 OK')
    const all = Buffer.concat([body, next])
    for (let cut = 1; cut < all.length; cut++) {
      const s = new ChunkedScanner()
      const a = s.scan(all.subarray(0, cut))
      if (a >= 0) {
        expect(a).toBe(body.length)
        continue
      }
      expect(a).toBe(-1)
      expect(s.scan(all.subarray(cut)) + cut).toBe(body.length)
    }
    expect(new ChunkedScanner().scan(Buffer.from('zz\r\n'))).toBe(-2)
    expect(new ChunkedScanner().scan(Buffer.from('3\r\nabcX'))).toBe(-2)
  })

  test('a fixed length body takes only its bytes', () => {
    const f = new BodyFramer({ length: 3 })
    expect(f.take(Buffer.from('ab'), 0, 2)).toBe(2)
    expect(f.done).toBe(false)
    expect(f.take(Buffer.from('cdef'), 0, 4)).toBe(1)
    expect(f.done).toBe(true)
  })
})

describe('policies', () => {
  const c = (url: string, inflight: number, accelerator?: string): Candidate => ({ url, inflight, ...(accelerator ? { accelerator } : {}) })

  test('least_load picks the fewest in flight, rotating among ties', () => {
    const p = makePolicy('least_load')
    expect(p.pick([c('a', 2), c('b', 1), c('c', 3)])!.url).toBe('b')
    const picks = new Set(Array.from({ length: 4 }, () => p.pick([c('a', 0), c('b', 0)])!.url))
    expect(picks).toEqual(new Set(['a', 'b']))
    expect(p.pick([c('a', 0), c('b', 5)], new Set(['a']))!.url).toBe('b')
  })

  test('instance_aware_least_load weighs in-flight by the accelerator target QPS', () => {
    const p = makePolicy('instance_aware_least_load', { 'H100:1': 10, A100: 2 })
    // 4/10 on the H100 beats 1/2 on the A100; an unknown accelerator counts 1.0.
    expect(p.pick([c('h', 4, 'H100:1'), c('a', 1, 'A100:8')])!.url).toBe('h')
    expect(p.pick([c('h', 6, 'H100:1'), c('a', 1, 'A100:8')])!.url).toBe('a')
    expect(p.pick([c('x', 1, 'L4'), c('a', 1, 'A100:1')])!.url).toBe('a')
  })

  test('round_robin cycles through every member once per round', () => {
    const p = makePolicy('round_robin')
    const all = [c('a', 0), c('b', 0), c('c', 0)]
    p.reset(all.map((x) => x.url))
    const round = Array.from({ length: 3 }, () => p.pick(all)!.url)
    expect(new Set(round).size).toBe(3)
    expect(Array.from({ length: 3 }, () => p.pick(all)!.url)).toEqual(round)
  })

  test('accelerator keys: exact count first, then by name', () => {
    const t = { 'H100:1': 10, 'h100': 7, A100: 5 }
    expect(targetQpsFor(t, 'H100:1')).toBe(10)
    expect(targetQpsFor(t, 'H100:8')).toBe(7)
    expect(targetQpsFor(t, 'a100:2')).toBe(5)
    expect(targetQpsFor(t, 'L4:1')).toBeUndefined()
    expect(targetQpsFor(3, undefined)).toBe(3)
  })
})
