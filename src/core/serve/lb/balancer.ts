// The load balancer of one service: a raw HTTP/1.1 proxy on its own port (Bun.listen, TLS when
// a key and certificate are given) in front of the service's ready replicas. Membership is set
// by the controller (`setReplicas`) and takes effect for the next request; a replica whose port
// refuses connections is ejected at once and taken back when it accepts again (checked every
// `checkIntervalMs`), so a dead replica leaves rotation without waiting for the controller.
import type { Socket, TCPSocketListener } from 'bun'
import { readFileSync } from 'node:fs'
import { ClientConn, type ConnHost } from './client-conn'
import { DEFAULT_LB_POLICY, makePolicy, type Candidate, type LbPolicy, type LbPolicyName } from './policies'
import { RequestCounter, type RequestSample } from './request-counter'
import { TokenChecker } from './tokens'
import { tcpCheck, Upstream, type ReplicaTarget } from './upstream'
import type { TargetQps } from '../accelerator-match'
import { DEFAULT_STREAM_TIMEOUT_SECONDS, LB_MAX_ATTEMPTS } from '../constants'

export type { ReplicaTarget } from './upstream'
export type { RequestSample } from './request-counter'


export interface TlsFiles {
  keyfile: string
  certfile: string
}

export interface LoadBalancerOptions {
  /** 0 picks a free port. */
  port: number
  /** Default 0.0.0.0 (the endpoint is for clients on other machines). */
  host?: string
  policy?: LbPolicyName
  /** `target_qps_per_replica`, for `instance_aware_least_load`. */
  targetQps?: TargetQps
  tls?: TlsFiles
  /** Longest silence from a replica while a response is pending or streaming. */
  streamTimeoutSeconds?: number
  /** Bearer-token hashes; null or absent: no auth. */
  tokenHashes?: string[] | null
  replicas?: ReplicaTarget[]
  /** How often ejected replicas are re-checked, and live ones checked for having gone away. */
  checkIntervalMs?: number
  /** Replicas one request may be tried on (SkyPilot: 3). */
  maxAttempts?: number
  /** Service name, for the 503 message. */
  serviceName?: string
}

export interface ReplicaStats {
  url: string
  accelerator?: string
  inflight: number
  total: number
  failures: number
  ejected: boolean
}

export type LbEvent = { type: 'ejected'; url: string; reason: string } | { type: 'restored'; url: string } | { type: 'membership'; urls: string[] }

export class LoadBalancer implements ConnHost {
  readonly tls: boolean
  readonly maxAttempts: number
  readonly active = new Set<ClientConn>()
  private listener: TCPSocketListener<ClientConn> | null = null
  private readonly members = new Map<string, Upstream>()
  private readonly draining = new Set<Upstream>()
  private ready: Upstream[] = []
  private policy: LbPolicy
  private targetQps: TargetQps | undefined
  private tokens: TokenChecker | null
  private readonly counter = new RequestCounter()
  private readonly listeners = new Set<(e: LbEvent) => void>()
  private timer: ReturnType<typeof setInterval> | null = null
  private readonly checking = new Set<Upstream>()
  private readonly streamTimeoutMs: number
  private readonly serviceName: string

  private constructor(private readonly opts: LoadBalancerOptions) {
    this.tls = !!opts.tls
    this.maxAttempts = opts.maxAttempts ?? LB_MAX_ATTEMPTS
    this.policy = makePolicy(opts.policy ?? DEFAULT_LB_POLICY, opts.targetQps)
    this.targetQps = opts.targetQps
    this.tokens = opts.tokenHashes ? new TokenChecker(opts.tokenHashes) : null
    this.streamTimeoutMs = (opts.streamTimeoutSeconds ?? DEFAULT_STREAM_TIMEOUT_SECONDS) * 1000
    this.serviceName = opts.serviceName ?? '<service>'
  }

  static start(opts: LoadBalancerOptions): LoadBalancer {
    const lb = new LoadBalancer(opts)
    lb.setReplicas(opts.replicas ?? [])
    lb.listen()
    const every = opts.checkIntervalMs ?? 500
    lb.timer = setInterval(() => lb.tick(), Math.min(every, 1_000))
    return lb
  }

  get port(): number {
    return this.listener?.port ?? 0
  }

  get authEnabled(): boolean {
    return this.tokens !== null
  }

  private listen(): void {
    const host = this.opts.host ?? '0.0.0.0'
    const tls = this.opts.tls ? { key: readFileSync(this.opts.tls.keyfile, 'utf8'), cert: readFileSync(this.opts.tls.certfile, 'utf8') } : undefined
    this.listener = Bun.listen<ClientConn>({
      hostname: host,
      port: this.opts.port,
      ...(tls ? { tls } : {}),
      socket: {
        open: (sock: Socket<ClientConn>) => {
          sock.data = new ClientConn(sock, this)
          sock.setNoDelay?.(true)
        },
        data: (sock: Socket<ClientConn>, data: Buffer) => sock.data.onClientData(data),
        drain: (sock: Socket<ClientConn>) => sock.data.onClientDrain(),
        close: (sock: Socket<ClientConn>) => sock.data?.onClientClose(),
        error: (sock: Socket<ClientConn>) => sock.terminate(),
        end: (sock: Socket<ClientConn>) => {
          // Half-close from the client: finish the current response, then close.
          if (!sock.data?.busy) sock.end()
        },
      },
    })
  }

  // ---- membership --------------------------------------------------------------------------

  /** Replace the set of ready replicas; takes effect for the next request. */
  setReplicas(targets: ReplicaTarget[]): void {
    const next = new Map<string, ReplicaTarget>()
    for (const t of targets) next.set(normalizeUrl(t.url), t)
    for (const [url, up] of this.members) {
      if (next.has(url)) continue
      this.members.delete(url)
      up.removed = true
      up.closeIdle()
      if (up.inflight > 0) this.draining.add(up)
    }
    for (const [url, t] of next) {
      const existing = this.members.get(url)
      if (existing) {
        existing.accelerator = t.accelerator
        continue
      }
      const up = new Upstream(url, (u) => this.check(u))
      up.accelerator = t.accelerator
      this.members.set(url, up)
    }
    this.rebuild()
    this.emit({ type: 'membership', urls: [...this.members.keys()] })
  }

  setPolicy(name: LbPolicyName, targetQps?: TargetQps): void {
    this.targetQps = targetQps
    this.policy = makePolicy(name, targetQps)
    this.rebuild()
  }

  /** Bearer-token hashes that may call the endpoint; null turns auth off. */
  setTokenHashes(hashes: string[] | null): void {
    if (hashes === null) this.tokens = null
    else if (this.tokens) this.tokens.set(hashes)
    else this.tokens = new TokenChecker(hashes)
  }

  private rebuild(): void {
    this.ready = [...this.members.values()].filter((u) => !u.ejected)
    this.policy.reset(this.ready.map((u) => u.url))
  }

  // ---- ConnHost ----------------------------------------------------------------------------

  authorize(authorization: string | undefined): boolean {
    return this.tokens === null || this.tokens.check(authorization)
  }

  countRequest(): void {
    this.counter.record()
  }

  pick(skip: ReadonlySet<string>): Upstream | undefined {
    const ready = this.ready
    if (ready.length === 0) return undefined
    if (ready.length === 1) return skip.has(ready[0]!.url) ? undefined : ready[0]
    const c = this.policy.pick(ready as unknown as Candidate[], skip)
    return c as unknown as Upstream | undefined
  }

  connectFailed(up: Upstream, err: Error | undefined): void {
    this.eject(up, err?.message ?? 'connection refused')
  }

  noReplicasMessage(): string {
    return `No ready replicas. Use "sky serve status ${this.serviceName}" to check the status of the replicas.`
  }

  // ---- health ------------------------------------------------------------------------------

  private eject(up: Upstream, reason: string): void {
    if (up.ejected || up.removed) return
    up.ejected = true
    up.closeIdle()
    this.rebuild()
    this.emit({ type: 'ejected', url: up.url, reason })
  }

  /** Is the replica's port still there? Eject it if not, take it back if it was ejected. */
  private check(up: Upstream): void {
    if (this.checking.has(up) || up.removed) return
    this.checking.add(up)
    void tcpCheck(up.host, up.port).then((ok) => {
      this.checking.delete(up)
      if (up.removed) return
      if (!ok) this.eject(up, 'port closed')
      else if (up.ejected) {
        up.ejected = false
        this.rebuild()
        this.emit({ type: 'restored', url: up.url })
      }
    })
  }

  private lastCheck = 0

  private tick(): void {
    const now = performance.now()
    for (const c of this.active) if (c.waitingOnUpstream && now - c.lastActivity > this.streamTimeoutMs) c.timeout()
    for (const up of this.draining) if (up.inflight <= 0) this.draining.delete(up)
    if (now - this.lastCheck >= (this.opts.checkIntervalMs ?? 500) - 5) {
      this.lastCheck = now
      for (const up of this.members.values()) {
        up.closeIdle(2_000)
        // Replicas with traffic show their death through failed connections; check the rest.
        if (up.ejected || up.inflight === 0) this.check(up)
      }
    }
  }

  // ---- observation -------------------------------------------------------------------------

  on(fn: (e: LbEvent) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  private emit(e: LbEvent): void {
    for (const fn of this.listeners) fn(e)
  }

  /** Request counts per second since `sinceMs` (for the autoscaler). */
  requestSamples(sinceMs = 0): RequestSample[] {
    return this.counter.samples(sinceMs)
  }

  replicas(): ReplicaStats[] {
    return [...this.members.values()].map((u) => ({
      url: u.url,
      ...(u.accelerator ? { accelerator: u.accelerator } : {}),
      inflight: u.inflight,
      total: u.total,
      failures: u.failures,
      ejected: u.ejected,
    }))
  }

  /** Stop accepting; wait up to `graceMs` for in-flight requests, then close everything. */
  async stop(graceMs = 0): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    this.listener?.stop(false)
    const deadline = performance.now() + graceMs
    const busy = () => [...this.active].some((c) => c.busy)
    while (busy() && performance.now() < deadline) await Bun.sleep(20)
    this.listener?.stop(true)
    this.listener = null
    for (const up of [...this.members.values(), ...this.draining]) {
      up.removed = true
      up.closeIdle()
      for (const c of up.open) c.destroy()
    }
  }
}

export function normalizeUrl(url: string): string {
  const u = new URL(url)
  return `${u.protocol}//${u.host}`
}
