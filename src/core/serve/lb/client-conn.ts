// One client connection to the load balancer and the request it is serving. Bytes are forwarded
// as they arrive in both directions (request bodies, streamed and chunked responses, server-sent
// events); only message heads are parsed. One request at a time per connection: pipelined
// requests wait in the buffer until the current response is complete.
//
// Retries: a request whose replica could not be connected to goes to another ready replica. A
// request the replica may already have received (the connection broke before any response byte
// came back) is retried only when its method is idempotent and its body is small enough to have
// been kept (RETAIN_BODY_BYTES). Once a response byte has gone to the client nothing is retried.
// (Longer than our usual file: one state machine whose client side, replica side and retry rules
// share the exchange's state.)
import type { Socket } from 'bun'
import { BodyFramer, bodyless, headEnd, MAX_HEAD_BYTES, parseRequestHead, parseResponseHead, type RequestHead, type ResponseHead } from './http1'
import { localResponse } from './local-response'
import { OutQueue } from './out-queue'
import type { UpConn, UpOwner, Upstream } from './upstream'

export const RETAIN_BODY_BYTES = 1 << 20
const PAUSE_INPUT_BYTES = 1 << 20
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'])
/** What a client connection needs from the load balancer. */
export interface ConnHost {
  readonly tls: boolean
  readonly authEnabled: boolean
  readonly maxAttempts: number
  /** True when the request may pass (no auth configured, or a valid bearer token). */
  authorize(authorization: string | undefined): boolean
  /** A request arrived (after auth): counted for the autoscaler. */
  countRequest(): void
  /** A ready replica not in `skip`, chosen by the policy. */
  pick(skip: ReadonlySet<string>): Upstream | undefined
  /** Connecting to this replica failed: take it out of rotation until it answers again. */
  connectFailed(up: Upstream, err: Error | undefined): void
  noReplicasMessage(): string
  /** Open client connections (the stream-timeout sweep looks at the busy ones). */
  active: Set<ClientConn>
}

const enum Phase {
  Head,
  Body,
  Wait,
  Tunnel,
  Closed,
}

type Pausable = { pause?: () => void; resume?: () => void }

export class ClientConn implements UpOwner {
  private inBuf: Buffer | null = null
  private phase = Phase.Head
  private req: RequestHead | null = null
  private upHead: Buffer | null = null
  private reqFramer: BodyFramer | null = null
  private reqDone = false
  /** Every body byte so far, while under RETAIN_BODY_BYTES; null past it (no replay). */
  private replay: Buffer[] | null = null
  private replayBytes = 0
  /** Body bytes not yet written to the current upstream connection. */
  private unsent: Buffer[] = []
  private upstream: Upstream | null = null
  private up: UpConn | null = null
  private connecting = false
  private tried = new Set<string>()
  private attempts = 0
  private respHeadBuf: Buffer | null = null
  private resp: ResponseHead | null = null
  private respFramer: BodyFramer | null = null
  private respUntilClose = false
  /** Bytes of the response already given to the client socket. */
  private respStarted = false
  private respDone = false
  private closeAfter = false
  private readonly clientOut = new OutQueue()
  private readonly upOut = new OutQueue()
  private endWhenFlushed = false
  private ending = false
  private clientPaused = false
  lastActivity = performance.now()

  constructor(
    readonly sock: Socket<ClientConn>,
    private readonly host: ConnHost,
  ) {
    host.active.add(this)
  }

  get busy(): boolean {
    return this.req !== null
  }

  get waitingOnUpstream(): boolean {
    return this.req !== null && !this.respDone && this.phase !== Phase.Tunnel
  }

  // ---- client side -------------------------------------------------------------------------

  onClientData(chunk: Buffer): void {
    if (this.phase === Phase.Closed || this.ending) return
    if (this.phase === Phase.Tunnel) {
      this.writeUp(chunk)
      return
    }
    this.inBuf = this.inBuf ? Buffer.concat([this.inBuf, chunk]) : chunk
    this.process()
  }

  onClientDrain(): void {
    if (!this.clientOut.flush(this.sock)) return
    if (this.endWhenFlushed) {
      this.sock.end()
      return
    }
    if (this.up?.sock) (this.up.sock as unknown as Pausable).resume?.()
  }

  onClientClose(): void {
    this.host.active.delete(this)
    if (this.phase === Phase.Closed) return
    this.phase = Phase.Closed
    if (this.up) {
      this.up.destroy()
      this.up = null
    }
    this.endExchange()
  }

  private process(): void {
    for (;;) {
      // The connection is closing after a final answer: nothing more is read from it.
      if (this.ending) return
      if (this.phase === Phase.Head) {
        const buf = this.inBuf
        if (!buf || buf.length === 0) return
        const end = headEnd(buf)
        if (end < 0) {
          if (buf.length > MAX_HEAD_BYTES) this.localResponse(431, 'Request head too large.', true)
          return
        }
        const head = parseRequestHead(buf, end)
        this.inBuf = end < buf.length ? buf.subarray(end) : null
        if ('status' in head) {
          this.localResponse(head.status, head.message, true)
          return
        }
        this.startRequest(head)
        continue
      }
      if (this.phase === Phase.Body) {
        const buf = this.inBuf
        if (!buf || buf.length === 0) return
        const n = this.reqFramer!.take(buf, 0, buf.length)
        if (n === -2) {
          this.fail(400, 'Malformed chunked request body.')
          return
        }
        this.inBuf = n < buf.length ? buf.subarray(n) : null
        if (n > 0) this.sendBody(n === buf.length ? buf : buf.subarray(0, n))
        if (this.reqFramer!.done) {
          this.reqDone = true
          this.phase = Phase.Wait
          if (this.respDone) this.completeExchange()
        }
        continue
      }
      // Wait / Tunnel / Closed: hold pipelined input; stop reading when too much piles up.
      if (this.phase === Phase.Wait && this.inBuf && this.inBuf.length > PAUSE_INPUT_BYTES && !this.clientPaused) {
        this.clientPaused = true
        ;(this.sock as unknown as Pausable).pause?.()
      }
      return
    }
  }

  private startRequest(head: RequestHead): void {
    this.lastActivity = performance.now()
    const hasBody = head.chunked || head.contentLength > 0
    if (!this.host.authorize(head.authorization)) {
      this.localResponse(401, 'Unauthorized: a valid bearer token is required (Authorization: Bearer <token>).', hasBody || head.close, 'www-authenticate: Bearer\r\n')
      return
    }
    this.host.countRequest()
    this.req = head
    this.reqFramer = head.chunked ? new BodyFramer({ chunked: true }) : hasBody ? new BodyFramer({ length: head.contentLength }) : null
    this.reqDone = !hasBody
    this.phase = hasBody ? Phase.Body : Phase.Wait
    this.replay = []
    this.replayBytes = 0
    this.unsent = []
    this.tried.clear()
    this.attempts = 0
    this.upHead = this.buildUpstreamHead(head)
    this.attempt()
  }

  /** The head as received, less hop-by-hop lines (and the token), plus X-Forwarded-For/-Proto. */
  private buildUpstreamHead(h: RequestHead): Buffer {
    const cut = h.hop.slice()
    if (this.host.authEnabled && h.authRange) cut.push(h.authRange[0], h.authRange[1])
    let head = h.text
    if (cut.length) {
      const ranges: [number, number][] = []
      for (let i = 0; i < cut.length; i += 2) ranges.push([cut[i]!, cut[i + 1]!])
      ranges.sort((x, y) => x[0] - y[0])
      head = ''
      let at = 0
      for (const [from, to] of ranges) {
        if (from > at) head += h.text.slice(at, from)
        at = Math.max(at, to)
      }
      head += h.text.slice(at)
    }
    const ip = this.sock.remoteAddress
    let extra = `x-forwarded-for: ${h.forwardedFor ? `${h.forwardedFor}, ${ip}` : ip}\r\nx-forwarded-proto: ${this.host.tls ? 'https' : 'http'}\r\n`
    if (h.upgrade !== undefined) extra += `connection: upgrade\r\nupgrade: ${h.upgrade}\r\n`
    else if (h.minor === 0) extra += 'connection: close\r\n'
    return Buffer.from(`${head}${extra}\r\n`, 'latin1')
  }

  private sendBody(chunk: Buffer): void {
    if (this.replay) {
      this.replayBytes += chunk.length
      if (this.replayBytes > RETAIN_BODY_BYTES) this.replay = null
      else this.replay.push(chunk)
    }
    if (this.up && !this.connecting) this.writeUp(chunk)
    else this.unsent.push(chunk)
  }

  // ---- choosing and connecting to a replica ---------------------------------------------------

  private attempt(): void {
    const up = this.host.pick(this.tried)
    if (!up) {
      if (this.attempts === 0) this.fail(503, this.host.noReplicasMessage())
      else this.fail(502, 'Bad Gateway: no replica could take the request.')
      return
    }
    this.attempts++
    this.tried.add(up.url)
    this.upstream = up
    up.inflight++
    up.total++
    this.connecting = true
    up.acquire((conn, err) => this.onConnected(up, conn, err))
  }

  private onConnected(up: Upstream, conn: UpConn | null, err?: Error): void {
    this.connecting = false
    if (this.phase === Phase.Closed || this.upstream !== up) {
      if (conn) up.release(conn, true)
      return
    }
    if (!conn) {
      up.failures++
      this.host.connectFailed(up, err)
      this.retryOrFail(true)
      return
    }
    conn.owner = this
    this.up = conn
    this.lastActivity = performance.now()
    this.writeUp(this.upHead!)
    const pending = this.unsent
    this.unsent = []
    for (const b of pending) this.writeUp(b)
  }

  /** The current attempt failed before any response byte reached the client. */
  private retryOrFail(connectFailed: boolean): void {
    const up = this.upstream
    if (up) {
      up.inflight--
      this.upstream = null
    }
    this.up = null
    this.upOut.clear()
    this.respHeadBuf = null
    this.resp = null
    this.respFramer = null
    const replayable = connectFailed || (IDEMPOTENT.has(this.req!.method) && this.replay !== null && this.req!.upgrade === undefined)
    if (replayable && this.attempts < this.host.maxAttempts) {
      if (!connectFailed) this.unsent = [...this.replay!]
      this.attempt()
      return
    }
    this.fail(502, 'Bad Gateway: the replica closed the connection before answering.')
  }

  // ---- upstream side -------------------------------------------------------------------------

  onUpData(conn: UpConn, data: Buffer): void {
    if (conn !== this.up) return
    this.lastActivity = performance.now()
    if (this.phase === Phase.Tunnel) {
      this.writeClient(data)
      return
    }
    if (!this.resp) {
      this.onResponseHeadBytes(data)
      return
    }
    this.onResponseBody(data, 0)
  }

  private onResponseHeadBytes(data: Buffer): void {
    let buf = this.respHeadBuf ? Buffer.concat([this.respHeadBuf, data]) : data
    for (;;) {
      const end = headEnd(buf)
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) return this.upstreamBroken('response head too large')
        this.respHeadBuf = buf
        return
      }
      const head = parseResponseHead(buf, end)
      if (!head) return this.upstreamBroken('malformed response head')
      const req = this.req!
      if (head.status === 101 && req.upgrade !== undefined) {
        this.respHeadBuf = null
        this.resp = head
        this.phase = Phase.Tunnel
        this.writeClient(buf)
        if (this.inBuf) {
          const rest = this.inBuf
          this.inBuf = null
          this.writeUp(rest)
        }
        return
      }
      if (head.status >= 100 && head.status < 200) {
        // Interim response (100 Continue, 103 Early Hints): pass it on, read the next head.
        if (req.minor === 1) this.writeClient(end === buf.length ? buf : buf.subarray(0, end))
        buf = buf.subarray(end)
        if (buf.length === 0) {
          this.respHeadBuf = null
          return
        }
        continue
      }
      this.respHeadBuf = null
      this.resp = head
      if (bodyless(req.method, head.status)) this.respFramer = new BodyFramer({ length: 0 })
      else if (head.chunked) this.respFramer = new BodyFramer({ chunked: true })
      else if (head.contentLength >= 0) this.respFramer = new BodyFramer({ length: head.contentLength })
      else {
        this.respFramer = new BodyFramer({ untilClose: true })
        this.respUntilClose = true
        this.closeAfter = true
      }
      if (head.close) this.closeAfter = true
      this.onResponseBody(buf, end)
      return
    }
  }

  /** `buf[0..from)` is head bytes not yet written; the body starts at `from`. */
  private onResponseBody(buf: Buffer, from: number): void {
    const n = this.respFramer!.take(buf, from, buf.length)
    if (n === -2) {
      if (from > 0) this.writeClient(buf.subarray(0, from))
      this.respStarted = true
      return this.upstreamBroken('malformed chunked response')
    }
    const used = from + n
    this.writeClient(used === buf.length ? buf : buf.subarray(0, used))
    this.respStarted = true
    if (this.respFramer!.done) {
      // Bytes after the end of the response mean the replica is out of step: do not reuse it.
      if (used < buf.length) this.closeAfterUpstream()
      this.respDone = true
      // A response that ends before its request body did: the rest of the body cannot be
      // skipped reliably, so the client connection closes after it.
      if (!this.reqDone) this.closeAfter = true
      this.completeExchange()
    }
  }

  onUpDrain(conn: UpConn): void {
    if (conn !== this.up || !this.upOut.flush(conn)) return
    if (this.clientPaused && this.phase !== Phase.Wait) {
      this.clientPaused = false
      ;(this.sock as unknown as Pausable).resume?.()
    }
  }

  onUpClose(conn: UpConn): void {
    if (conn !== this.up) return
    this.up = null
    if (this.phase === Phase.Tunnel) {
      this.endClient()
      return
    }
    if (this.respUntilClose) {
      // Close-delimited body: the close is its end.
      this.respDone = true
      this.closeAfter = true
      this.completeExchange()
      return
    }
    if (!this.respStarted) {
      this.retryOrFail(false)
      return
    }
    this.abortClient()
  }

  private upstreamBroken(why: string): void {
    if (this.up) {
      this.up.destroy()
      this.up = null
    }
    if (!this.respStarted) this.fail(502, `Bad Gateway: ${why}.`)
    else this.abortClient()
  }

  private closeAfterUpstream(): void {
    this.resp = this.resp ? { ...this.resp, close: true } : this.resp
  }

  // ---- finishing ---------------------------------------------------------------------------

  private completeExchange(): void {
    const up = this.upstream
    const conn = this.up
    const reusable = !!this.resp && !this.resp.close && this.reqDone && this.unsent.length === 0 && this.upOut.empty && !!this.respFramer?.done
    if (conn && up) up.release(conn, reusable)
    else if (conn) conn.destroy()
    const close = this.closeAfter || this.req!.close
    this.endExchange()
    if (close) {
      this.endClient()
      return
    }
    this.phase = Phase.Head
    if (this.clientPaused) {
      this.clientPaused = false
      ;(this.sock as unknown as Pausable).resume?.()
    }
    if (this.inBuf) this.process()
  }

  private endExchange(): void {
    if (this.upstream) {
      this.upstream.inflight--
      this.upstream = null
    }
    this.up = null
    this.req = null
    this.upHead = null
    this.reqFramer = null
    this.replay = null
    this.unsent = []
    this.upOut.clear()
    this.respHeadBuf = null
    this.resp = null
    this.respFramer = null
    this.respStarted = false
    this.respDone = false
    this.respUntilClose = false
    this.closeAfter = false
  }

  /** Answer from the load balancer itself (errors), then close or go on with the next request. */
  private localResponse(status: number, message: string, close: boolean, extraHeaders = ''): void {
    if (this.respStarted) return this.abortClient()
    this.writeClient(localResponse(status, message, close, extraHeaders))
    if (close) this.endClient()
  }

  /** The exchange failed before a response byte went out: answer with `status`. */
  fail(status: number, message: string): void {
    const hasPendingBody = this.req !== null && !this.reqDone
    const close = hasPendingBody || (this.req?.close ?? true)
    if (this.up) {
      this.up.destroy()
      this.up = null
    }
    this.endExchange()
    this.localResponse(status, message, close)
    if (!close) {
      this.phase = Phase.Head
      if (this.inBuf) this.process()
    }
  }

  /** Stream timeout: nothing from the replica for too long. */
  timeout(): void {
    if (!this.req) return
    if (this.respStarted) this.abortClient()
    else this.fail(504, 'Gateway Timeout: the replica did not answer in time.')
  }

  private writeClient(buf: Buffer): void {
    if (this.phase === Phase.Closed) return
    // The client is slower than the replica: stop reading the replica until it drains.
    if (!this.clientOut.write(this.sock, buf) && this.up?.sock) (this.up.sock as unknown as Pausable).pause?.()
  }

  private writeUp(buf: Buffer): void {
    const conn = this.up
    if (!conn) {
      this.unsent.push(buf)
      return
    }
    // The replica is slower than the client: stop reading the client until it drains.
    if (!this.upOut.write(conn, buf) && !this.clientPaused) {
      this.clientPaused = true
      ;(this.sock as unknown as Pausable).pause?.()
    }
  }

  private endClient(): void {
    this.ending = true
    if (!this.clientOut.empty) {
      this.endWhenFlushed = true
      return
    }
    this.sock.end()
  }

  private abortClient(): void {
    if (this.up) {
      this.up.destroy()
      this.up = null
    }
    this.phase = Phase.Closed
    this.endExchange()
    this.sock.terminate()
  }
}
