// `sky _serve-lb --dir <dir>`: the load balancer of one service as its own small process, so the
// endpoint keeps serving while the API server restarts or upgrades. It reads `<dir>/lb.json`,
// applies every change to it at once (inotify through fs.watch), and answers on a Unix socket
// `<dir>/lb.sock` for the controller: GET /health (with the digest of the state it applied), GET /stats?since=<epoch ms> (request counts per
// second for the autoscaler, per-replica in-flight/ejected, recent events). SIGTERM drains
// in-flight requests (up to 10 s) and exits.
// `sky _serve-lb forward ...` is the port forwarder of rootless replica networks (netns/forward.ts).
import { existsSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs'
import { join } from 'node:path'
import { LoadBalancer, type LbEvent } from './balancer'
import { CONTROL_SOCKET, PID_FILE, readLbState, STATE_FILE, stateDigest, type LbState } from './state-file'

const DRAIN_MS = 10_000

function log(msg: string): void {
  process.stdout.write(`${new Date().toISOString()} ${msg}\n`)
}

function listenKey(s: LbState): string {
  return JSON.stringify([s.host, s.port, s.tls ?? null])
}

export async function runServeLb(argv: string[]): Promise<number> {
  if (argv[0] === 'forward') {
    const { runForward } = await import('../netns/forward')
    return runForward(argv.slice(1))
  }
  const i = argv.indexOf('--dir')
  const dir = i >= 0 ? argv[i + 1] : undefined
  if (!dir) {
    process.stderr.write('usage: sky _serve-lb --dir <service dir>\n')
    return 2
  }
  const first = readLbState(dir)
  if (typeof first === 'string') {
    process.stderr.write(`${first}\n`)
    return 2
  }
  let state = first
  const events: (LbEvent & { at: number })[] = []
  const onEvent = (e: LbEvent) => {
    events.push({ ...e, at: Date.now() })
    if (events.length > 200) events.shift()
    if (e.type !== 'membership') log(`${e.type} ${e.url}${e.type === 'ejected' ? ` (${e.reason})` : ''}`)
  }
  const startLb = (s: LbState) => {
    const lb = LoadBalancer.start({
      port: s.port,
      host: s.host,
      policy: s.policy,
      ...(s.target_qps_per_replica !== undefined ? { targetQps: s.target_qps_per_replica } : {}),
      ...(s.tls ? { tls: s.tls } : {}),
      streamTimeoutSeconds: s.stream_timeout_seconds,
      tokenHashes: s.token_hashes,
      replicas: s.replicas,
      serviceName: s.service,
    })
    lb.on(onEvent)
    return lb
  }
  let lb: LoadBalancer
  try {
    lb = startLb(state)
  } catch (e) {
    process.stderr.write(`cannot listen on ${state.host}:${state.port}: ${(e as Error).message}\n`)
    return 1
  }
  log(`service ${state.service}: load balancer on ${state.tls ? 'https' : 'http'}://${state.host}:${lb.port} (${state.policy}), ${state.replicas.length} replica(s)`)

  const applyNow = async () => {
    const next = readLbState(dir)
    if (typeof next === 'string') {
      log(`ignoring state change: ${next}`)
      return
    }
    if (listenKey(next) !== listenKey(state)) {
      // Same address (TLS changed): the old listener must go first. A new address: bind it
      // first, so a failure leaves the old endpoint serving.
      const sameAddress = next.host === state.host && next.port === state.port
      if (sameAddress) await lb.stop(DRAIN_MS)
      try {
        const fresh = startLb(next)
        if (!sameAddress) await lb.stop(DRAIN_MS)
        lb = fresh
        log(`listening on ${next.tls ? 'https' : 'http'}://${next.host}:${lb.port}`)
      } catch (e) {
        log(`cannot listen on ${next.host}:${next.port}: ${(e as Error).message}; keeping the previous settings`)
        if (sameAddress) lb = startLb(state)
        return
      }
    } else {
      if (next.policy !== state.policy || JSON.stringify(next.target_qps_per_replica) !== JSON.stringify(state.target_qps_per_replica)) lb.setPolicy(next.policy, next.target_qps_per_replica)
      if (JSON.stringify(next.token_hashes) !== JSON.stringify(state.token_hashes)) lb.setTokenHashes(next.token_hashes)
      if (JSON.stringify(next.replicas) !== JSON.stringify(state.replicas)) {
        lb.setReplicas(next.replicas)
        log(`replicas: ${next.replicas.map((r) => r.url).join(', ') || '(none)'}`)
      }
    }
    state = next
  }
  let applying: Promise<void> = Promise.resolve()
  const apply = () => {
    applying = applying.then(applyNow, applyNow)
  }
  // Watch the directory, not the file: the controller replaces the file by rename.
  const watcher: FSWatcher = watch(dir, (_event, name) => {
    if (name === STATE_FILE) apply()
  })

  const sock = join(dir, CONTROL_SOCKET)
  rmSync(sock, { force: true })
  const control = Bun.serve({
    unix: sock,
    fetch(req) {
      const url = new URL(req.url)
      if (url.pathname === '/health') return Response.json({ pid: process.pid, port: lb.port, service: state.service, applied: stateDigest(state) })
      if (url.pathname === '/stats') {
        const since = Number(url.searchParams.get('since') ?? 0)
        return Response.json({ requests: lb.requestSamples(since), replicas: lb.replicas(), events: events.filter((e) => e.at >= since) })
      }
      return new Response('not found', { status: 404 })
    },
  })
  writeFileSync(join(dir, PID_FILE), String(process.pid))

  const done = new Promise<number>((resolve) => {
    const stop = async (sig: string) => {
      log(`${sig}: draining`)
      watcher.close()
      await lb.stop(DRAIN_MS)
      control.stop(true)
      rmSync(sock, { force: true })
      const pidFile = join(dir, PID_FILE)
      if (existsSync(pidFile)) rmSync(pidFile, { force: true })
      resolve(0)
    }
    process.once('SIGTERM', () => void stop('SIGTERM'))
    process.once('SIGINT', () => void stop('SIGINT'))
  })
  return done
}
