// The HTTP/1.x framing the load balancer needs, and nothing more: find the end of a message head,
// parse request and response heads (the few headers that decide framing and routing), and scan a
// chunked body incrementally so bytes can be forwarded as they arrive. Bodies are never decoded:
// the proxy passes them through byte for byte.

export const MAX_HEAD_BYTES = 64 * 1024

const CRLFCRLF = Buffer.from('\r\n\r\n')

/** Bytes as a latin1 string (Buffer#latin1Slice, several times faster than toString). */
const latin1 = (buf: Buffer, from: number, to: number): string => (buf as unknown as { latin1Slice(a: number, b: number): string }).latin1Slice(from, to)

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
  /** The head as received, up to and including the last header line's CRLF (no blank line). */
  text: string
  /** [start, end) pairs of `text` (whole header lines) that must not be forwarded: hop-by-hop. */
  hop: number[]
  /** Where the Authorization line is in `text` ([start, end)), when there is one. */
  authRange?: [number, number]
  /** -1 when absent. */
  contentLength: number
  chunked: boolean
  /** The client asked to close (or speaks HTTP/1.0 without keep-alive). */
  close: boolean
  /** `Upgrade` value when the client asks for a protocol switch (WebSocket). */
  upgrade?: string
  authorization?: string
  /** X-Forwarded-For values the client sent (merged with its address when forwarded). */
  forwardedFor?: string
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

// Characters allowed in a header name or method (RFC 9110 tchar).
const TCHAR = new Uint8Array(128)
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1

function validName(text: string, from: number, to: number): boolean {
  if (to <= from) return false
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i)
    if (c > 127 || TCHAR[c] === 0) return false
  }
  return true
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

const HOP_NAMES = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'x-forwarded-for'])
// Name lengths this parser looks at (host 4 … transfer-encoding 17): other headers cost a lookup.
const REQUEST_LENGTHS = new Set([2, 7, 10, 13, 14, 15, 16, 17])
const RESPONSE_LENGTHS = new Set([10, 14, 17])

type Visit = (name: string, valueStart: number, valueEnd: number, lineStart: number, lineEnd: number) => void

/**
 * Walk the header lines of `text` from `pos` (each ends with CRLF), calling `visit` with the
 * lower-cased name for names of a length in `lengths` (all when null). False when a line is
 * malformed: no colon, an invalid name (whitespace before the colon included), a bare CR or LF.
 */
function walk(text: string, pos: number, lengths: Set<number> | null, visit: Visit): boolean {
  const len = text.length
  while (pos < len) {
    const e = text.indexOf('\r\n', pos)
    if (e < 0) return false
    if (text.indexOf('\n', pos) !== e + 1 || text.indexOf('\r', pos) !== e) return false
    const colon = text.indexOf(':', pos)
    if (colon < 0 || colon > e || !validName(text, pos, colon)) return false
    if (lengths === null || lengths.has(colon - pos)) visit(text.slice(pos, colon).toLowerCase(), colon + 1, e, pos, e + 2)
    pos = e + 2
  }
  return true
}

/** Parse a request head (`buf[0..end)`, end from headEnd). */
export function parseRequestHead(buf: Buffer, end: number): RequestHead | HeadError {
  const text = latin1(buf, 0, end - 2)
  const lineEnd = text.indexOf('\r\n')
  const sp1 = text.indexOf(' ')
  const sp2 = sp1 < 0 ? -1 : text.indexOf(' ', sp1 + 1)
  if (sp1 <= 0 || sp2 < 0 || sp2 > lineEnd || text.lastIndexOf(' ', lineEnd) !== sp2) return { status: 400, message: 'Malformed request line.' }
  const method = text.slice(0, sp1)
  const target = text.slice(sp1 + 1, sp2)
  const version = text.slice(sp2 + 1, lineEnd)
  if (!validName(method, 0, method.length)) return { status: 400, message: 'Malformed method.' }
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') return { status: 505, message: 'Only HTTP/1.0 and HTTP/1.1 are supported.' }
  if (method === 'CONNECT') return { status: 501, message: 'CONNECT is not supported.' }
  if (target === '' || /[\x00-\x20\x7f]/.test(target) || (target[0] !== '/' && method !== 'OPTIONS' && !/^https?:\/\//i.test(target))) {
    return { status: 400, message: 'Malformed request target.' }
  }
  const minor: 0 | 1 = version === 'HTTP/1.1' ? 1 : 0
  const cl: string[] = []
  let te: string | undefined
  let connection = ''
  let upgrade: string | undefined
  let authorization: string | undefined
  let authRange: [number, number] | undefined
  let forwardedFor: string | undefined
  const hop: number[] = []
  const ok = walk(text, lineEnd + 2, REQUEST_LENGTHS, (name, vs, ve, ls, le) => {
    if (HOP_NAMES.has(name)) {
      hop.push(ls, le)
      const value = text.slice(vs, ve).trim()
      if (name === 'connection') connection += `${connection ? ',' : ''}${value}`
      else if (name === 'upgrade') upgrade = value
      else if (name === 'x-forwarded-for') forwardedFor = forwardedFor ? `${forwardedFor}, ${value}` : value
    } else if (name === 'content-length') cl.push(text.slice(vs, ve).trim())
    else if (name === 'transfer-encoding') {
      const value = text.slice(vs, ve).trim()
      te = te === undefined ? value : `${te}, ${value}`
    } else if (name === 'authorization') {
      authorization = text.slice(vs, ve).trim()
      authRange = [ls, le]
    }
  })
  if (!ok) return { status: 400, message: 'Malformed header line.' }
  const connectionTokens = connection ? connection.toLowerCase().split(',').map((t) => t.trim()).filter(Boolean) : []
  // Headers the client declared hop-by-hop in Connection go too (rare: a second pass).
  const declared = connectionTokens.length ? connectionTokens.filter((t) => t !== 'close' && t !== 'keep-alive' && t !== 'upgrade' && !HOP_NAMES.has(t)) : connectionTokens
  if (declared.length) {
    walk(text, lineEnd + 2, null, (name, _vs, _ve, ls, le) => {
      if (declared.includes(name)) hop.push(ls, le)
    })
  }
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
  const head: RequestHead = { method, target, minor, text, hop, contentLength, chunked, close, connectionTokens }
  if (upgrade !== undefined && connectionTokens.includes('upgrade')) head.upgrade = upgrade
  if (authorization !== undefined) {
    head.authorization = authorization
    head.authRange = authRange
  }
  if (forwardedFor !== undefined) head.forwardedFor = forwardedFor
  return head
}

/** Parse a response head; undefined when it is not well-formed HTTP/1.x. */
export function parseResponseHead(buf: Buffer, end: number): ResponseHead | undefined {
  const text = latin1(buf, 0, end - 2)
  const lineEnd = text.indexOf('\r\n')
  // "HTTP/1.x NNN" then a space and a reason, or nothing.
  if (lineEnd < 12 || !text.startsWith('HTTP/1.') || text[8] !== ' ' || (lineEnd > 12 && text[12] !== ' ')) return undefined
  const minorCh = text[7]
  const status = Number(text.slice(9, 12))
  if ((minorCh !== '0' && minorCh !== '1') || !Number.isInteger(status) || status < 100) return undefined
  const minor = minorCh === '1' ? 1 : 0
  let contentLength = -1
  let chunked = false
  let connection = ''
  let bad = false
  const ok = walk(text, lineEnd + 2, RESPONSE_LENGTHS, (name, vs, ve) => {
    if (name === 'content-length') {
      const x = contentLengthOf([text.slice(vs, ve)])
      if (x === undefined || (contentLength !== -1 && x !== contentLength)) bad = true
      else contentLength = x
    } else if (name === 'transfer-encoding') chunked = text.slice(vs, ve).toLowerCase().split(',').pop()!.trim() === 'chunked'
    else if (name === 'connection') connection += `,${text.slice(vs, ve).toLowerCase()}`
  })
  if (!ok || bad) return undefined
  const tokens = connection ? connection.split(',').map((t) => t.trim()) : []
  const close = minor === 0 ? !tokens.includes('keep-alive') : tokens.includes('close')
  return { status, minor, contentLength: chunked ? -1 : contentLength, chunked, close }
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
