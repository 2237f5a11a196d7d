// Serve bench, the user's view: `sky serve up` (compiled binary, local infra, a running API
// server) → the first 200 through the endpoint, replica start included (cluster, network
// namespace, job, readiness probe, load balancer membership). Target ≤ 3 s. Also shown: the
// `serve up` command alone, and `serve down` (every replica and the load balancer gone).
// The YAML keeps the default probe interval (10 s): a replica that just started is probed
// every 200 ms. Each round uses its own service; the figure is the median of --rounds.
// Usage: bun scripts/bench/serve-up.ts [--rounds 5]
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BIN, freePort, median, report, ROOT, tempDir } from './lib'

const i = process.argv.indexOf('--rounds')
const ROUNDS = i > 0 ? Number(process.argv[i + 1]) : 5

async function run(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn([BIN, ...args], { env, stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' })
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  return { code, stdout, stderr }
}

async function firstOk(url: string, deadlineMs: number): Promise<boolean> {
  while (Date.now() < deadlineMs) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) })
      await res.text()
      if (res.status === 200) return true
    } catch {}
    await Bun.sleep(5)
  }
  return false
}

async function main(): Promise<void> {
  const dir = tempDir('sky-bench-serve-up-')
  const port = await freePort()
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, SKY_HOME: dir, USER: 'bench', SKYPILOT_API_SERVER_ENDPOINT: `http://127.0.0.1:${port}`, NO_COLOR: '1' }
  const yaml = join(dir, 'svc.yaml')
  writeFileSync(
    yaml,
    `service:
  readiness_probe:
    path: /health
    initial_delay_seconds: 60
  replicas: 1
resources:
  ports: 8080
  cpus: 0.1
run: exec ${process.execPath} ${join(ROOT, 'test/fixtures/serve/replica.ts')} 8080 r$SKYPILOT_SERVE_REPLICA_ID 0.0.0.0
`,
  )
  const upMs: number[] = []
  const firstMs: number[] = []
  const downMs: number[] = []
  try {
    // The API server is up first, as for a user who has used sky before.
    if ((await run(['api', 'start'], env)).code !== 0) throw new Error('sky api start failed')
    for (let r = 0; r < ROUNDS; r++) {
      const name = `bench-${r}`
      const t0 = performance.now()
      const up = await run(['serve', 'up', '-n', name, '-y', yaml], env)
      if (up.code !== 0) throw new Error(`serve up failed: ${up.stderr}`)
      upMs.push(performance.now() - t0)
      const endpoint = /Endpoint URL: (\S+)/.exec(up.stdout)![1]!
      if (!(await firstOk(endpoint + '/', Date.now() + 60_000))) throw new Error(`${endpoint} never answered 200`)
      firstMs.push(performance.now() - t0)
      const t1 = performance.now()
      const down = await run(['serve', 'down', name, '-y'], env)
      if (down.code !== 0) throw new Error(`serve down failed: ${down.stderr}`)
      downMs.push(performance.now() - t1)
      console.error(`round ${r + 1}: up ${upMs[r]!.toFixed(0)} ms, first 200 ${firstMs[r]!.toFixed(0)} ms, down ${downMs[r]!.toFixed(0)} ms`)
    }
    const first = median(firstMs)
    report([
      ['serve up → first 200 (local)', `${first.toFixed(0)} ms`, '≤ 3000 ms', first <= 3000],
      ['serve up command', `${median(upMs).toFixed(0)} ms`, '(for reference)', true],
      ['serve down (all gone)', `${median(downMs).toFixed(0)} ms`, '(for reference)', true],
    ])
  } finally {
    await run(['serve', 'down', '-a', '-y'], env)
    await run(['api', 'stop'], env)
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
