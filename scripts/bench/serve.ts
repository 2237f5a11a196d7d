// Serve bench: the load balancer (as it runs for a service: `sky _serve-lb`, its own process) in
// front of 2 Bun replicas on loopback, measured with wrk in the same run as a direct connection
// to one replica and nginx (Debian) proxying to the same replicas.
//   added latency  = LB − direct, at one connection (no queueing): p50 ≤ 1 ms, p99 ≤ 5 ms
//   throughput     = LB → 2 replicas at 32 connections: ≥ 10,000 req/s and ≥ nginx (1 worker,
//                    like our single LB process; nginx with `worker_processes auto` is shown too)
//   out of rotation = replica SIGKILLed → the LB reports it ejected: ≤ 1 s (idle and under load),
//                    with no failed request under load
// Every figure is the median of --rounds interleaved rounds (this machine is shared; interleaving
// spreads the noise over all contenders). Bounded: each wrk run lasts --seconds.
// Usage: bun scripts/bench/serve.ts [--rounds 3] [--seconds 3] [--conns 32]
// Needs wrk and nginx (installed with scripts/ci-deps.sh when missing, as root).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ensureLbProcess, lbStats, stopLbProcess } from '../../src/core/serve/lb/control'
import { BIN, freePort, median, report, ROOT, tempDir } from './lib'

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : def
}
const ROUNDS = flag('rounds', 3)
const SECONDS = flag('seconds', 3)
const CONNS = flag('conns', 32)

function ensureTools(): void {
  const missing = [['wrk', 'wrk'], ['nginx', 'nginx-light']].filter(([bin]) => !Bun.which(bin!) && !existsSync(`/usr/sbin/${bin}`)).map(([, pkg]) => pkg!)
  if (!missing.length) return
  console.error(`installing ${missing.join(', ')}...`)
  const r = Bun.spawnSync(['bash', join(ROOT, 'scripts/ci-deps.sh'), ...missing], { stdout: 'inherit', stderr: 'inherit' })
  if (r.exitCode !== 0) throw new Error(`could not install ${missing.join(', ')}`)
}

interface WrkResult {
  rps: number
  requests: number
  /** CPU the proxy process(es) used per request, µs (throughput runs). */
  cpuUs?: number
  p50: number
  p99: number
  errors: number
}

function ms(v: string, unit: string): number {
  const n = Number(v)
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n
}

function wrk(url: string, conns: number, seconds = SECONDS): WrkResult {
  const r = Bun.spawnSync(['wrk', '-t1', `-c${conns}`, `-d${seconds}s`, '--latency', url], { stdout: 'pipe', stderr: 'pipe', timeout: (seconds + 20) * 1000 })
  const out = r.stdout.toString()
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN)
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN)
  const pct = (p: string) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out)
    return m ? ms(m[1]!, m[2]!) : NaN
  }
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
  const errors = non2xx + (sock ? Number(sock[1]) + Number(sock[2]) + Number(sock[3]) + Number(sock[4]) : 0)
  if (!Number.isFinite(rps)) throw new Error(`wrk ${url} failed: ${out}${r.stderr.toString()}`)
  return { rps, requests, p50: pct('50'), p99: pct('99'), errors }
}

/** utime + stime of processes, in µs. */
function cpuUs(pids: number[]): number {
  let ticks = 0
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    ticks += Number(f[11]) + Number(f[12])
  }
  return (ticks * 1e6) / 100 // USER_HZ is 100 on Linux
}

/** wrk against `url` while counting the CPU of `pids` (the proxy). */
function wrkCpu(url: string, conns: number, pids: number[]): WrkResult {
  const before = pids.length ? cpuUs(pids) : 0
  const r = wrk(url, conns)
  if (pids.length) r.cpuUs = (cpuUs(pids) - before) / r.requests
  return r
}

function childrenOf(ppid: number): number[] {
  const out: number[] = []
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid) out.push(Number(e))
    } catch {}
  }
  return out
}

async function startReplica(id: string): Promise<{ url: string; proc: ReturnType<typeof Bun.spawn> }> {
  const proc = Bun.spawn([process.execPath, join(ROOT, 'test/fixtures/serve/replica.ts'), '0', id], { stdout: 'pipe', stderr: 'inherit' })
  const reader = proc.stdout.getReader()
  let text = ''
  while (!/listening (\d+)/.test(text)) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`replica ${id} exited`)
    text += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  return { url: `http://127.0.0.1:${/listening (\d+)/.exec(text)![1]}`, proc }
}

function startNginx(dir: string, port: number, upstreams: string[], workers: string): { stop: () => void; workers: () => number[] } {
  const conf = join(dir, `nginx-${port}.conf`)
  const servers = upstreams.map((u) => `server ${new URL(u).host};`).join(' ')
  writeFileSync(
    conf,
    `worker_processes ${workers};
pid ${dir}/nginx-${port}.pid;
error_log ${dir}/nginx-${port}.err;
events { worker_connections 4096; }
http {
  access_log off;
  upstream replicas { ${servers} keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://replicas; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }
  }
}
`,
  )
  const nginx = Bun.which('nginx') ?? '/usr/sbin/nginx'
  const r = Bun.spawnSync([nginx, '-c', conf, '-p', dir, '-e', join(dir, `nginx-${port}.err`)], { stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`nginx failed: ${r.stderr.toString()}`)
  const pidFile = join(dir, `nginx-${port}.pid`)
  const master = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0)
  return {
    stop: () => {
      if (master()) process.kill(master(), 'SIGQUIT')
    },
    workers: () => (master() ? childrenOf(master()) : []),
  }
}

async function waitEjected(dir: string, url: string, t0: number, deadlineMs = 5_000): Promise<number> {
  for (;;) {
    const s = await lbStats(dir)
    if (s?.replicas.find((r) => r.url === url)?.ejected) return performance.now() - t0
    if (performance.now() - t0 > deadlineMs) return NaN
    await Bun.sleep(2)
  }
}

async function main(): Promise<void> {
  ensureTools()
  const dir = tempDir('sky-serve-bench-')
  mkdirSync(dir, { recursive: true })
  const cleanups: (() => void)[] = []
  try {
    const [a, b] = [await startReplica('a'), await startReplica('b')]
    cleanups.push(() => a.proc.kill('SIGKILL'), () => b.proc.kill('SIGKILL'))
    const lbDir = join(dir, 'lb')
    const lbPort = await freePort()
    const selfExec = existsSync(BIN) ? [BIN] : [process.execPath, join(ROOT, 'src/main.ts')]
    const lbProc = await ensureLbProcess(
      lbDir,
      { service: 'bench', host: '127.0.0.1', port: lbPort, policy: 'least_load', stream_timeout_seconds: 120, token_hashes: null, replicas: [{ url: a.url }, { url: b.url }] },
      { command: selfExec },
    )
    cleanups.push(() => void stopLbProcess(lbDir, 2_000))
    const [ng1, ngAuto] = [await freePort(), await freePort()]
    const nginx1 = startNginx(dir, ng1, [a.url, b.url], '1')
    const nginxAuto = startNginx(dir, ngAuto, [a.url, b.url], 'auto')
    cleanups.push(nginx1.stop, nginxAuto.stop)
    const proxyPids: Record<string, () => number[]> = { direct: () => [], lb: () => [lbProc.pid], nginx: nginx1.workers, nginxAuto: nginxAuto.workers }
    const lbUrl = `http://127.0.0.1:${lbPort}/`
    const targets = { direct: `${a.url}/`, lb: lbUrl, nginx: `http://127.0.0.1:${ng1}/`, nginxAuto: `http://127.0.0.1:${ngAuto}/` }
    console.log(`load balancer: ${selfExec.join(' ')} _serve-lb (1 process); replicas: 2 Bun servers; wrk -t1; ${ROUNDS} rounds × ${SECONDS}s`)
    for (const u of Object.values(targets)) wrk(u, 4, 1) // warm up

    const lat: Record<string, WrkResult[]> = { direct: [], lb: [], nginx: [] }
    const thr: Record<string, WrkResult[]> = { direct: [], lb: [], nginx: [], nginxAuto: [] }
    for (let r = 0; r < ROUNDS; r++) {
      for (const k of Object.keys(lat)) lat[k]!.push(wrk(targets[k as keyof typeof targets], 1))
      for (const k of Object.keys(thr)) thr[k]!.push(wrkCpu(targets[k as keyof typeof targets], CONNS, proxyPids[k]!()))
      console.error(`round ${r + 1}/${ROUNDS}: rps lb ${Math.round(thr.lb!.at(-1)!.rps)} nginx ${Math.round(thr.nginx!.at(-1)!.rps)} direct ${Math.round(thr.direct!.at(-1)!.rps)}`)
    }
    const med = (xs: WrkResult[], k: keyof WrkResult) => median(xs.map((x) => x[k] ?? NaN))
    const errors = [...Object.values(lat), ...Object.values(thr)].flat().reduce((n, x) => n + x.errors, 0)

    console.log('\nlatency at 1 connection (median of rounds):')
    for (const k of Object.keys(lat)) console.log(`  ${k.padEnd(7)} p50 ${med(lat[k]!, 'p50').toFixed(3)} ms  p99 ${med(lat[k]!, 'p99').toFixed(3)} ms  ${Math.round(med(lat[k]!, 'rps'))} req/s`)
    console.log(`throughput at ${CONNS} connections (median of rounds):`)
    for (const k of Object.keys(thr)) {
      const cpu = k === 'direct' ? '' : `  proxy CPU ${med(thr[k]!, 'cpuUs').toFixed(1)} µs/request`
      console.log(`  ${k.padEnd(10)} ${Math.round(med(thr[k]!, 'rps'))} req/s  p50 ${med(thr[k]!, 'p50').toFixed(2)} ms  p99 ${med(thr[k]!, 'p99').toFixed(2)} ms${cpu}`)
    }

    // Out of rotation: kill a replica the LB has idle connections to, then one under load.
    const t0 = performance.now()
    b.proc.kill('SIGKILL')
    const idleEject = await waitEjected(lbDir, b.url, t0)
    const c = await startReplica('c')
    cleanups.push(() => c.proc.kill('SIGKILL'))
    const { updateLbState } = await import('../../src/core/serve/lb/control')
    updateLbState(lbDir, { replicas: [{ url: a.url }, { url: c.url }] })
    const deadline = performance.now() + 5_000
    while (performance.now() < deadline && !(await lbStats(lbDir))?.replicas.some((r) => r.url === c.url)) await Bun.sleep(5)
    let failed = 0
    let done = 0
    let loading = true
    const loaders = Array.from({ length: 8 }, async () => {
      while (loading) {
        const res = await fetch(lbUrl).catch(() => null)
        if (!res || res.status !== 200) failed++
        await res?.arrayBuffer()
        done++
      }
    })
    while (done < 500) await Bun.sleep(5)
    const t1 = performance.now()
    c.proc.kill('SIGKILL')
    const loadEject = await waitEjected(lbDir, c.url, t1)
    const after = done
    while (done < after + 500) await Bun.sleep(5)
    loading = false
    await Promise.all(loaders)

    const addP50 = med(lat.lb!, 'p50') - med(lat.direct!, 'p50')
    const addP99 = med(lat.lb!, 'p99') - med(lat.direct!, 'p99')
    const lbRps = med(thr.lb!, 'rps')
    const ngRps = med(thr.nginx!, 'rps')
    console.log('')
    report([
      ['added latency p50 (LB − direct)', `${addP50.toFixed(3)} ms`, '≤ 1 ms', addP50 <= 1],
      ['added latency p99 (LB − direct)', `${addP99.toFixed(3)} ms`, '≤ 5 ms', addP99 <= 5],
      ['LB → 2 replicas', `${Math.round(lbRps)} req/s`, '≥ 10,000 req/s', lbRps >= 10_000],
      ['LB vs nginx (1 worker)', `${((lbRps / ngRps) * 100).toFixed(0)} %`, '≥ 100 % of nginx', lbRps >= ngRps],
      ['LB vs nginx (auto workers)', `${((lbRps / med(thr.nginxAuto!, 'rps')) * 100).toFixed(0)} %`, '(for reference)', true],
      ['killed → out of rotation (idle)', `${idleEject.toFixed(0)} ms`, '≤ 1000 ms', idleEject <= 1000],
      ['killed → out of rotation (load)', `${loadEject.toFixed(0)} ms`, '≤ 1000 ms', loadEject <= 1000],
      ['failed requests around the kill', `${failed}`, '0', failed === 0],
      ['wrk errors (all runs)', `${errors}`, '0', errors === 0],
    ])
  } finally {
    for (const c of cleanups.reverse()) c()
    await Bun.sleep(200)
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
