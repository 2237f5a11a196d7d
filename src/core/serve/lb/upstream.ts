// One replica as the load balancer sees it: its address, a pool of idle keep-alive connections,
// requests in flight, counters, and whether it is ejected (its port refused a connection; it is
// taken back once a connection succeeds again). Connections are raw sockets (Bun.connect): the
// proxy writes request bytes and reads response bytes itself.
import type { Socket } from 'bun'

/** Who currently owns an upstream connection (the client connection it serves). */
export interface UpOwner {
  onUpData(conn: UpConn, data: Buffer): void
  onUpClose(conn: UpConn): void
  onUpDrain(conn: UpConn): void
}

/** Idle connections older than this are closed instead of reused: servers drop idle keep-alive
 * connections after a few seconds (uvicorn: 5 s), and a request written into one that is being
 * closed fails in a way that cannot be retried safely unless it is idempotent. */
export const MAX_IDLE_MS = 2_000
export const CONNECT_TIMEOUT_MS = 5_000

export class UpConn {
  sock: Socket<UpConn> | null = null
  owner: UpOwner | null = null
  idleSince = 0
  /** Requests this connection carried before the current one. */
  uses = 0
  closed = false

  constructor(readonly upstream: Upstream) {}

  write(buf: Buffer | string): number {
    return this.sock ? this.sock.write(buf) : -1
  }

  destroy(): void {
    this.closed = true
    this.owner = null
    this.sock?.terminate()
  }
}

export interface ReplicaTarget {
  /** `http://host:port` (a path, if any, is ignored). */
  url: string
  /** Accelerator of the replica (`H100:1`), for `instance_aware_least_load`. */
  accelerator?: string
}

export class Upstream {
  readonly host: string
  readonly port: number
  accelerator?: string
  idle: UpConn[] = []
  open = new Set<UpConn>()
  inflight = 0
  total = 0
  failures = 0
  ejected = false
  /** No longer a member: finishes its in-flight requests, then its connections close. */
  removed = false

  constructor(
    readonly url: string,
    private readonly onIdleLost: (u: Upstream) => void,
  ) {
    const u = new URL(url)
    if (u.protocol !== 'http:') throw new Error(`replica URL must be http://host:port, got ${url}`)
    this.host = u.hostname.replace(/^\[|\]$/g, '')
    this.port = Number(u.port || 80)
  }

  /** A pooled connection if one is fresh, else a new one; `cb` gets null when connecting failed. */
  acquire(cb: (conn: UpConn | null, err?: Error) => void): void {
    const now = performance.now()
    while (this.idle.length) {
      const c = this.idle.pop()!
      if (c.closed) continue
      if (now - c.idleSince > MAX_IDLE_MS) {
        c.destroy()
        continue
      }
      c.uses++
      cb(c)
      return
    }
    const conn = new UpConn(this)
    let settled = false
    const timer = setTimeout(() => {
      if (settled) return
      settled = true
      conn.closed = true
      cb(null, new Error(`connect to ${this.host}:${this.port} timed out`))
    }, CONNECT_TIMEOUT_MS)
    Bun.connect<UpConn>({ hostname: this.host, port: this.port, data: conn, socket: UP_HANDLERS }).then(
      (sock) => {
        clearTimeout(timer)
        if (settled) {
          sock.terminate()
          return
        }
        settled = true
        sock.setNoDelay?.(true)
        conn.sock = sock
        this.open.add(conn)
        cb(conn)
      },
      (err: Error) => {
        clearTimeout(timer)
        if (settled) return
        settled = true
        conn.closed = true
        cb(null, err)
      },
    )
  }

  /** Give a connection back after a complete exchange (or drop it when it cannot be reused). */
  release(conn: UpConn, reusable: boolean): void {
    conn.owner = null
    if (!reusable || this.removed || conn.closed) {
      conn.destroy()
      return
    }
    conn.idleSince = performance.now()
    this.idle.push(conn)
  }

  /** Close idle connections (membership removal or sweep of stale ones). */
  closeIdle(olderThanMs = 0): void {
    const now = performance.now()
    this.idle = this.idle.filter((c) => {
      if (c.closed) return false
      if (now - c.idleSince < olderThanMs) return true
      c.destroy()
      return false
    })
  }

  connClosed(conn: UpConn): void {
    this.open.delete(conn)
    const wasIdle = conn.owner === null && !conn.closed
    conn.closed = true
    if (wasIdle) {
      this.idle = this.idle.filter((c) => c !== conn)
      // The replica closed a connection nobody was using: it may have gone away. Check now
      // rather than at the next periodic check.
      this.onIdleLost(this)
    }
  }
}

const UP_HANDLERS = {
  data(sock: Socket<UpConn>, data: Buffer) {
    const conn = sock.data
    if (conn.owner) conn.owner.onUpData(conn, data)
  },
  drain(sock: Socket<UpConn>) {
    const conn = sock.data
    conn.owner?.onUpDrain(conn)
  },
  close(sock: Socket<UpConn>) {
    const conn = sock.data
    const owner = conn.owner
    conn.upstream.connClosed(conn)
    owner?.onUpClose(conn)
  },
  error(sock: Socket<UpConn>) {
    sock.terminate()
  },
  end(sock: Socket<UpConn>) {
    sock.end()
  },
}

/** One TCP connect to check a replica is there (used to take an ejected replica back). */
export function tcpCheck(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false
    const finish = (ok: boolean) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve(ok)
    }
    const timer = setTimeout(() => finish(false), timeoutMs)
    Bun.connect({ hostname: host, port, socket: { data() {}, open(s) { s.end() }, error() {}, connectError() { finish(false) } } }).then(
      () => finish(true),
      () => finish(false),
    )
  })
}
