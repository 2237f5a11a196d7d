// The HTTP/1.x framing the load balancer needs, and nothing more: find the end of a message head,
// parse request and response heads (the few headers that decide framing and routing), and scan a
// chunked body incrementally so bytes can be forwarded as they arrive. Bodies are never decoded:
// the proxy passes them through byte for byte.

export const MAX_HEAD_BYTES = 64 * 1024

const CRLFCRLF = Buffer.from('\r\n\r\n')

/** Index just past the blank line that ends a head, or -1 when it has not arrived yet. */
export function headEnd(buf: Buffer, from = 0): number {
  const i = buf.indexOf(CRLFCRLF, Math.max(0, from - 3))
  return i < 0 ? -1 : i + 4
}

export interface HeadError {
  status: 400 | 431 | 501 | 505
  message: string
}

export interface RequestHead {
  method: string
  target: string
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: 0 | 1
  /** Header lines as received (name, value), hop-by-hop ones included. */
  headers: [string, string][]
  /** -1 when absent. */
  contentLength: number
  chunked: boolean
  /** The client asked to close (or speaks HTTP/1.0 without keep-alive). */
  close: boolean
  /** `Upgrade` value when the client asks for a protocol switch (WebSocket). */
  upgrade?: string
  authorization?: string
  host?: string
  /** Lower-cased names listed in `Connection` (hop-by-hop by declaration). */
  connectionTokens: string[]
}

export interface ResponseHead {
  status: number
  minor: 0 | 1
  contentLength: number
  chunked: boolean
  close: boolean
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const METHODS_WITHOUT_TARGET_CHECK = new Set(['OPTIONS', 'CONNECT'])

function parseHeaders(lines: string[]): [string, string][] | undefined {
  const out: [string, string][] = []
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!
    if (line === '') continue
    const colon = line.indexOf(':')
    if (colon <= 0) return undefined
    const name = line.slice(0, colon)
    if (!TOKEN.test(name)) return undefined
    out.push([name, line.slice(colon + 1).trim()])
  }
  return out
}

function contentLengthOf(values: string[]): number | undefined {
  let n = -1
  for (const v of values) {
    for (const part of v.split(',')) {
      const p = part.trim()
      if (!/^\d{1,15}$/.test(p)) return undefined
      const x = Number(p)
      if (n !== -1 && x !== n) return undefined
      n = x
    }
  }
  return n
}

/** Parse a request head (`buf[0..end)`, end from headEnd). */
export function parseRequestHead(buf: Buffer, end: number): RequestHead | HeadError {
  const text = buf.toString('latin1', 0, end - 4)
  const lines = text.split('\r\n')
  const first = lines[0]!.split(' ')
  if (first.length !== 3) return { status: 400, message: 'Malformed request line.' }
  const [method, target, version] = first as [string, string, string]
  if (!TOKEN.test(method)) return { status: 400, message: 'Malformed method.' }
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') return { status: 505, message: 'Only HTTP/1.0 and HTTP/1.1 are supported.' }
  if (method === 'CONNECT') return { status: 501, message: 'CONNECT is not supported.' }
  if (!METHODS_WITHOUT_TARGET_CHECK.has(method) && !target.startsWith('/') && !/^https?:\/\//i.test(target)) {
    return { status: 400, message: 'Malformed request target.' }
  }
  const headers = parseHeaders(lines)
  if (!headers) return { status: 400, message: 'Malformed header line.' }
  const minor: 0 | 1 = version === 'HTTP/1.1' ? 1 : 0
  const cl: string[] = []
  let te: string | undefined
  let connection = ''
  let upgrade: string | undefined
  let authorization: string | undefined
  let host: string | undefined
  for (const [name, value] of headers) {
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') host = value
        break
      case 7:
        if (name.toLowerCase() === 'upgrade') upgrade = value
        break
      case 10:
        if (name.toLowerCase() === 'connection') connection += `${connection ? ',' : ''}${value}`
        break
      case 13:
        if (name.toLowerCase() === 'authorization') authorization = value
        break
      case 14:
        if (name.toLowerCase() === 'content-length') cl.push(value)
        break
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') te = te === undefined ? value : `${te}, ${value}`
        break
    }
  }
  const connectionTokens = connection ? connection.toLowerCase().split(',').map((t) => t.trim()).filter(Boolean) : []
  let chunked = false
  if (te !== undefined) {
    // A request with both framings is how smuggling starts: refuse it rather than pick one.
    if (cl.length) return { status: 400, message: 'Both Content-Length and Transfer-Encoding given.' }
    const codings = te.toLowerCase().split(',').map((c) => c.trim())
    if (codings[codings.length - 1] !== 'chunked' || minor === 0) return { status: 400, message: 'Unsupported Transfer-Encoding.' }
    chunked = true
  }
  const contentLength = cl.length ? contentLengthOf(cl) : -1
  if (contentLength === undefined) return { status: 400, message: 'Malformed Content-Length.' }
  const close = minor === 0 ? !connectionTokens.includes('keep-alive') : connectionTokens.includes('close')
  const head: RequestHead = { method, target, minor, headers, contentLength, chunked, close, connectionTokens }
  if (upgrade !== undefined && connectionTokens.includes('upgrade')) head.upgrade = upgrade
  if (authorization !== undefined) head.authorization = authorization
  if (host !== undefined) head.host = host
  return head
}

/** Parse a response head; undefined when it is not HTTP/1.x. */
export function parseResponseHead(buf: Buffer, end: number): ResponseHead | undefined {
  const text = buf.toString('latin1', 0, end - 4)
  const lines = text.split('\r\n')
  const m = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0]!)
  if (!m) return undefined
  const minor = m[1] === '1' ? 1 : 0
  let contentLength = -1
  let chunked = false
  let connection = ''
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!
    const colon = line.indexOf(':')
    if (colon <= 0) return undefined
    const n = colon
    if (n !== 14 && n !== 17 && n !== 10) continue
    const name = line.slice(0, colon).toLowerCase()
    const value = line.slice(colon + 1).trim()
    if (name === 'content-length') {
      const x = contentLengthOf([value])
      if (x === undefined || (contentLength !== -1 && x !== contentLength)) return undefined
      contentLength = x
    } else if (name === 'transfer-encoding') chunked = value.toLowerCase().split(',').pop()!.trim() === 'chunked'
    else if (name === 'connection') connection += `,${value.toLowerCase()}`
  }
  const tokens = connection.split(',').map((t) => t.trim())
  const close = minor === 0 ? !tokens.includes('keep-alive') : tokens.includes('close')
  return { status: Number(m[2]), minor, contentLength: chunked ? -1 : contentLength, chunked, close }
}

/** Whether a response to `method` with `status` carries no body whatever its headers say. */
export function bodyless(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)
}

// Chunked body scanner states.
const SIZE = 0
const EXT = 1
const SIZE_LF = 2
const DATA = 3
const DATA_CR = 4
const DATA_LF = 5
const TRAILER = 6
const TRAILER_LINE = 7
const TRAILER_LF = 8
const END_LF = 9

/**
 * Finds where a chunked body ends without decoding it. `scan` consumes bytes and returns the
 * index (in that buffer) just past the body's last byte, -1 when more is needed, or -2 on a
 * framing error.
 */
export class ChunkedScanner {
  private state = SIZE
  private remaining = 0
  private digits = 0

  scan(buf: Buffer, start = 0, end = buf.length): number {
    let i = start
    while (i < end) {
      switch (this.state) {
        case DATA: {
          const take = Math.min(this.remaining, end - i)
          i += take
          this.remaining -= take
          if (this.remaining === 0) this.state = DATA_CR
          continue
        }
        case SIZE: {
          const c = buf[i]!
          const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1
          if (v >= 0) {
            if (++this.digits > 12) return -2
            this.remaining = this.remaining * 16 + v
          } else if (this.digits === 0) return -2
          else if (c === 59 /* ; */ || c === 32 || c === 9) this.state = EXT
          else if (c === 13) this.state = SIZE_LF
          else return -2
          break
        }
        case EXT:
          if (buf[i] === 13) this.state = SIZE_LF
          break
        case SIZE_LF:
          if (buf[i] !== 10) return -2
          this.digits = 0
          this.state = this.remaining === 0 ? TRAILER : DATA
          break
        case DATA_CR:
          if (buf[i] !== 13) return -2
          this.state = DATA_LF
          break
        case DATA_LF:
          if (buf[i] !== 10) return -2
          this.state = SIZE
          break
        case TRAILER:
          this.state = buf[i] === 13 ? END_LF : TRAILER_LINE
          break
        case TRAILER_LINE:
          if (buf[i] === 13) this.state = TRAILER_LF
          break
        case TRAILER_LF:
          if (buf[i] !== 10) return -2
          this.state = TRAILER
          break
        case END_LF:
          if (buf[i] !== 10) return -2
          this.reset()
          return i + 1
      }
      i++
    }
    return -1
  }

  reset(): void {
    this.state = SIZE
    this.remaining = 0
    this.digits = 0
  }
}

/** Tracks how much of a body is left: a fixed length, chunked, or (responses) until close. */
export class BodyFramer {
  private left: number
  private readonly chunks: ChunkedScanner | null

  constructor(kind: { length: number } | { chunked: true } | { untilClose: true }) {
    this.left = 'length' in kind ? kind.length : -1
    this.chunks = 'chunked' in kind ? new ChunkedScanner() : null
  }

  get done(): boolean {
    return this.left === 0
  }

  /**
   * How many bytes of `buf[start..end)` belong to the body: a count, or -2 on a framing error.
   * After a count smaller than what was offered, `done` is true.
   */
  take(buf: Buffer, start: number, end: number): number {
    if (this.chunks) {
      const r = this.chunks.scan(buf, start, end)
      if (r === -2) return -2
      if (r === -1) return end - start
      this.left = 0
      return r - start
    }
    if (this.left < 0) return end - start
    const n = Math.min(this.left, end - start)
    this.left -= n
    return n
  }
}
