// pods/exec over SPDY/3.1 (kubectl ≤ 1.28, and 1.29 by default), stream protocol
// v4.channel.k8s.io (also accepted as v5). The client opens one stream per `streamtype` header
// (error, stdin, stdout, stderr, resize); each SYN_STREAM is answered with a SYN_REPLY. Stdin
// ends with a FIN on its stream; the exit status goes on the error stream as metav1.Status JSON.
//
// Header blocks are one zlib stream per direction with the SPDY/3 dictionary. Ours are written
// as stored (uncompressed) deflate blocks, each followed by an empty stored block (the sync-flush
// marker Go's inflater needs to hand over a block without reading ahead); the client's are
// inflated by re-reading its whole header stream so far with a sync flush.
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { constants, inflateSync } from 'node:zlib'
import { refuseUpgrade } from './http'
import { badRequest } from './status'
import type { ExecHandle, ExecParams, ExecSink } from './exec'

const SPDY_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io']

/** The SPDY/3 header dictionary: length-prefixed header names, then a tail of common values. */
const DICTIONARY = (() => {
  const words =
    'options head post put delete trace accept accept-charset accept-encoding accept-language accept-ranges age allow authorization cache-control connection content-base content-encoding content-language content-length content-location content-md5 content-range content-type date etag expect expires from host if-match if-modified-since if-none-match if-range if-unmodified-since last-modified location max-forwards pragma proxy-authenticate proxy-authorization range referer retry-after server te trailer transfer-encoding upgrade user-agent vary via warning www-authenticate method get status'.split(' ')
  words.push('200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin')
  const codes = '100 101 201 202 205 206 300 302 303 304 305 306 307 402 405 406 407 408 409 410 411 412 413 414 415 416 417 502 504 505'.split(' ').join('')
  const tail =
    `${codes}203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden404 Not Found` +
    '500 Internal Server Error501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 ' +
    'Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,' +
    'text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.'
  const parts: Buffer[] = []
  for (const w of words) {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(w.length)
    parts.push(len, Buffer.from(w, 'latin1'))
  }
  parts.push(Buffer.from(tail, 'latin1'))
  return Buffer.concat(parts)
})()

function adler32(b: Buffer): number {
  let a = 1
  let c = 0
  for (const x of b) {
    a = (a + x) % 65521
    c = (c + a) % 65521
  }
  return ((c << 16) | a) >>> 0
}

/** The zlib header of our header stream: deflate, preset dictionary (FDICT), its adler32. */
const ZLIB_HEADER = (() => {
  const cmf = 0x78
  let flg = 0x20
  flg += 31 - ((cmf * 256 + flg) % 31)
  const h = Buffer.alloc(6)
  h[0] = cmf
  h[1] = flg
  h.writeUInt32BE(adler32(DICTIONARY), 2)
  return h
})()

function encodePairs(pairs: [string, string][]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(4)]
  parts[0]!.writeUInt32BE(pairs.length)
  for (const [k, v] of pairs) {
    for (const s of [k, v]) {
      const b = Buffer.from(s)
      const len = Buffer.alloc(4)
      len.writeUInt32BE(b.length)
      parts.push(len, b)
    }
  }
  return Buffer.concat(parts)
}

function decodePairs(b: Buffer): Map<string, string> {
  const out = new Map<string, string>()
  const n = b.readUInt32BE(0)
  let at = 4
  for (let i = 0; i < n; i++) {
    const kl = b.readUInt32BE(at)
    const k = b.subarray(at + 4, at + 4 + kl).toString()
    at += 4 + kl
    const vl = b.readUInt32BE(at)
    out.set(k, b.subarray(at + 4, at + 4 + vl).toString())
    at += 4 + vl
  }
  return out
}

function control(type: number, flags: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8)
  h.writeUInt16BE(0x8003, 0)
  h.writeUInt16BE(type, 2)
  h.writeUInt32BE(((flags & 0xff) << 24) | data.length, 4)
  return Buffer.concat([h, data])
}

function dataFrame(stream: number, fin: boolean, data: Uint8Array): Buffer {
  const h = Buffer.alloc(8)
  h.writeUInt32BE(stream & 0x7fffffff, 0)
  h.writeUInt32BE(((fin ? 1 : 0) << 24) | data.length, 4)
  return Buffer.concat([h, data])
}

/** The stream protocol to use (X-Stream-Protocol-Version), or undefined. */
export function pickSpdyProtocol(req: IncomingMessage): string | undefined {
  const offered = [req.headers['x-stream-protocol-version']].flat().join(',').split(',').map((s) => s.trim())
  return offered.find((p) => SPDY_PROTOCOLS.includes(p))
}

export function serveExecSpdy(req: IncomingMessage, socket: Duplex, head: Buffer, params: ExecParams, start: (sink: ExecSink) => ExecHandle): void {
  const protocol = pickSpdyProtocol(req)
  if (!protocol) {
    refuseUpgrade(socket, badRequest(`unable to upgrade: no common stream protocol (want one of ${SPDY_PROTOCOLS.join(', ')})`))
    return
  }
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`)
  const streams = new Map<string, number>()
  const types = new Map<number, string>()
  let inflated = 0
  let compressedIn = Buffer.alloc(0)
  let headerStarted = false
  let closed = false
  let handle: ExecHandle | undefined
  const earlyStdin: { data?: Uint8Array; fin?: boolean }[] = []
  const want = ['error', ...(params.stdin ? ['stdin'] : []), ...(params.stdout ? ['stdout'] : []), ...(params.stderr ? ['stderr'] : []), ...(params.tty ? ['resize'] : [])]

  const write = (b: Buffer): Promise<void> | void => {
    if (closed) return
    if (!socket.write(b)) return new Promise((r) => socket.once('drain', r))
  }
  const headerBlock = (pairs: [string, string][]) => {
    const raw = encodePairs(pairs)
    const stored = Buffer.alloc(5)
    stored.writeUInt16LE(raw.length, 1)
    stored.writeUInt16LE(~raw.length & 0xffff, 3)
    const out = Buffer.concat([headerStarted ? Buffer.alloc(0) : ZLIB_HEADER, stored, raw, Buffer.from([0, 0, 0, 0xff, 0xff])])
    headerStarted = true
    return out
  }
  const readHeaders = (block: Buffer): Map<string, string> => {
    compressedIn = Buffer.concat([compressedIn, block])
    const all = inflateSync(compressedIn, { dictionary: DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH })
    const fresh = all.subarray(inflated)
    inflated = all.length
    return decodePairs(fresh)
  }
  const send = (type: string, data: Uint8Array, fin = false): Promise<void> | void => {
    const id = streams.get(type)
    if (id === undefined) return
    for (let at = 0; at < data.length || (at === 0 && fin); at += 0xffff) {
      const chunk = data.subarray(at, at + 0xffff)
      const last = at + 0xffff >= data.length
      const r = write(dataFrame(id, fin && last, chunk))
      if (last) return r
    }
  }
  const begin = () => {
    handle = start({ stdout: (d) => send('stdout', d), stderr: (d) => send('stderr', d) })
    for (const e of earlyStdin) {
      if (e.data) handle.write(e.data)
      if (e.fin) handle.closeStdin()
    }
    handle.done.then(async (status) => {
      await send('stdout', Buffer.alloc(0), true)
      await send('stderr', Buffer.alloc(0), true)
      await send('error', Buffer.from(JSON.stringify(status)), true)
      await write(control(7, 0, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0])))
      closed = true
      socket.end()
    })
  }
  const onStdin = (data?: Uint8Array, fin?: boolean) => {
    if (!handle) return void earlyStdin.push({ data, fin })
    if (data?.length) handle.write(data)
    if (fin) handle.closeStdin()
  }
  let resizeBuf = ''
  const onFrame = (f: Buffer) => {
    if (f[0]! & 0x80) {
      const type = f.readUInt16BE(2)
      const body = f.subarray(8)
      if (type === 1) {
        const id = body.readUInt32BE(0) & 0x7fffffff
        const st = readHeaders(body.subarray(10)).get('streamtype') ?? ''
        streams.set(st, id)
        types.set(id, st)
        const reply = Buffer.alloc(4)
        reply.writeUInt32BE(id)
        write(control(2, 0, Buffer.concat([reply, headerBlock([])])))
        if (!handle && want.every((w) => streams.has(w))) begin()
      } else if (type === 6) write(f)
      else if (type === 3) {
        if (types.get(body.readUInt32BE(0) & 0x7fffffff) === 'stdin') onStdin(undefined, true)
      } else if (type === 7) {
        onStdin(undefined, true)
      } else if (type === 8) readHeaders(body.subarray(4))
      return
    }
    const id = f.readUInt32BE(0) & 0x7fffffff
    const fin = (f[4]! & 1) === 1
    const data = f.subarray(8)
    const st = types.get(id)
    if (st === 'stdin') onStdin(data, fin)
    else if (st === 'resize' && data.length) {
      resizeBuf += data.toString()
      let nl: number
      while ((nl = resizeBuf.indexOf('\n')) >= 0 || (resizeBuf.endsWith('}') && (nl = resizeBuf.length))) {
        try {
          const s = JSON.parse(resizeBuf.slice(0, nl)) as { Width: number; Height: number }
          handle?.resize(s.Width, s.Height)
        } catch {}
        resizeBuf = resizeBuf.slice(nl + 1)
      }
    }
  }
  let buf: Buffer = head.length ? Buffer.from(head) : Buffer.alloc(0)
  const parse = () => {
    while (buf.length >= 8) {
      const len = buf.readUInt32BE(4) & 0xffffff
      if (buf.length < 8 + len) return
      const f = buf.subarray(0, 8 + len)
      buf = buf.subarray(8 + len)
      try {
        onFrame(Buffer.from(f))
      } catch (e) {
        console.error('k8s harness: bad SPDY frame:', e)
        socket.destroy()
        return
      }
    }
  }
  socket.on('data', (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d
    try {
      parse()
    } catch (e) {
      console.error('k8s harness: exec stream failed:', e)
      socket.destroy()
    }
  })
  socket.on('close', () => {
    closed = true
    onStdin(undefined, true)
  })
  parse()
}
