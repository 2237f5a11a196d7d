// Core platform figures (issue: core platform): CLI start-up, warm `sky status`, server cold
// start, idle RSS, /api/health throughput, and status request throughput/latency under load.
// Usage: bun scripts/bench/core.ts   (build first: bun scripts/build.ts)
import { BIN, freePort, load, localTokenHeader, median, percentile, report, rssMb, statusOp, tempDir, timeRun } from './lib'

const home = tempDir()
const port = await freePort()
const endpoint = `http://127.0.0.1:${port}`
const env = { PATH: process.env.PATH!, HOME: home, SKY_HOME: home, SKYPILOT_API_SERVER_ENDPOINT: endpoint, NO_COLOR: '1' }
const rows: [string, string, string, boolean][] = []

// 1. sky --help
const help = median(Array.from({ length: 15 }, () => timeRun([BIN, '--help'], env)))
rows.push(['sky --help', `${help.toFixed(1)} ms`, '<= 25 ms', help <= 25])

// 2. server cold start to healthy (fresh process each time, same store)
const colds: number[] = []
let pid = 0
for (let i = 0; i < 5; i++) {
  const t = performance.now()
  const p = Bun.spawn([BIN, 'api', 'start', '--foreground', '--port', String(port)], { env, stdout: 'ignore', stderr: 'ignore' })
  for (;;) {
    try {
      if ((await fetch(`${endpoint}/api/health`)).ok) break
    } catch {}
    await Bun.sleep(1)
  }
  colds.push(performance.now() - t)
  if (i < 4) {
    p.kill('SIGTERM')
    await p.exited
  } else pid = p.pid
}
const cold = median(colds)
rows.push(['server cold start to healthy', `${cold.toFixed(1)} ms`, '<= 150 ms', cold <= 150])

await Bun.sleep(1500)
const idle = rssMb(pid)
rows.push(['server RSS idle', `${idle.toFixed(1)} MB`, '<= 80 MB', idle <= 80])

// 3. warm sky status
timeRun([BIN, 'status'], env)
const st = median(Array.from({ length: 15 }, () => timeRun([BIN, 'status'], env)))
rows.push(['sky status (warm, no clusters)', `${st.toFixed(1)} ms`, '<= 40 ms', st <= 40])

// 4. GET /api/health, 16 concurrent, 5 s
const health = await load(5, 16, async () => {
  const r = await fetch(`${endpoint}/api/health`)
  await r.arrayBuffer()
})
rows.push(['GET /api/health, 16 concurrent', `${Math.round(health.ops)} req/s`, '>= 20,000 req/s', health.ops >= 20000 && health.errors === 0])

// 5. status request: submit + get, 16 concurrent, 10 s
const status = await load(10, 16, statusOp(endpoint, localTokenHeader(home)))
const p50 = percentile(status.lat, 50)
const p99 = percentile(status.lat, 99)
const after = rssMb(pid)
rows.push(['status submit+get ops/s (16 conc, 10 s)', `${Math.round(status.ops)} ops/s`, '>= 2,000 ops/s', status.ops >= 2000 && status.errors === 0])
rows.push(['status submit+get p50', `${p50.toFixed(1)} ms`, '-', true])
rows.push(['status submit+get p99', `${p99.toFixed(1)} ms`, '<= 50 ms', p99 <= 50])
rows.push(['server RSS after load', `${after.toFixed(1)} MB`, '<= 150 MB', after <= 150])

process.kill(pid, 'SIGTERM')
report(rows)
