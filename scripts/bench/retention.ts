// Retention figures (issue 18): 830,000 finished requests past the retention period; a server
// (the compiled binary) starts and deletes them off the request path while /api/health is asked
// every 10 ms: the slowest answer during the cleanup (target <= 100 ms), how long the cleanup
// took, and the database file before and after (it must shrink).
// Usage: bun scripts/bench/retention.ts [ROWS, default 830000]   (build first: bun scripts/build.ts)
import { Database } from 'bun:sqlite'
import { rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { openStore } from '../../src/core/state/store'
import { BIN, freePort, percentile, report, tempDir } from './lib'

const N = Math.max(1000, Number(process.argv[2] ?? 830_000))
const rows: [string, string, string, boolean][] = []
const home = tempDir()
const db = join(home, 'state.db')
process.env.SKY_HOME = home
await (await openStore({ kind: 'sqlite', path: db })).close()
const raw = new Database(db)
const ins = raw.prepare(
  `INSERT INTO requests (request_id, name, user_id, user_name, status, lane, cluster_name, body, created_at, started_at, finished_at, attempts)
   VALUES (?, 'sky.status', 'abcd1234', 'bench', 'SUCCEEDED', 'short', NULL, '{}', ?, ?, ?, 1)`,
)
const old = Date.now() - 48 * 3600_000
raw.transaction(() => {
  for (let i = 0; i < N; i++) ins.run(crypto.randomUUID(), old + i, old + i, old + i + 1)
})()
ins.finalize()
raw.close(true)
const before = statSync(db).size

/** The slowest /api/health answer over `ms` from an idle server (the machine's own noise). */
async function baseline(ms: number): Promise<number> {
  const dir = tempDir()
  const p = await freePort()
  const srv = Bun.spawn([BIN, 'api', 'start', '--foreground', '--host', '127.0.0.1', '--port', String(p)], {
    env: { PATH: process.env.PATH!, HOME: dir, SKY_HOME: dir, NO_COLOR: '1' },
    stdout: 'ignore',
    stderr: 'ignore',
  })
  while (!(await fetch(`http://127.0.0.1:${p}/api/health`).then((r) => r.ok, () => false))) await Bun.sleep(20)
  let worst = 0
  const until = performance.now() + ms
  while (performance.now() < until) {
    const t = performance.now()
    await fetch(`http://127.0.0.1:${p}/api/health`)
    worst = Math.max(worst, performance.now() - t)
    await Bun.sleep(10)
  }
  srv.kill('SIGTERM')
  await srv.exited
  rmSync(dir, { recursive: true, force: true })
  return worst
}
const idleWorst = await baseline(20_000)

const port = await freePort()
const t0 = performance.now()
const server = Bun.spawn([BIN, 'api', 'start', '--foreground', '--host', '127.0.0.1', '--port', String(port)], {
  env: { PATH: process.env.PATH!, HOME: home, SKY_HOME: home, NO_COLOR: '1' },
  stdout: 'ignore',
  stderr: 'inherit',
})
process.on('exit', () => server.exitCode === null && server.kill('SIGKILL'))
const lat: number[] = []
/** (seconds since the first answer, latency) of each answer, to say when the slowest came. */
const when: [number, number][] = []
let startedAt = 0
const count = () => {
  const r = new Database(db, { readonly: true })
  try {
    return (r.query('SELECT count(*) AS n FROM requests').get() as { n: number }).n
  } finally {
    r.close()
  }
}
let lastCount = N
let checked = 0
for (;;) {
  const t = performance.now()
  const ok = await fetch(`http://127.0.0.1:${port}/api/health`).then((r) => r.ok, () => false)
  if (ok) {
    if (!startedAt) startedAt = performance.now()
    else {
      lat.push(performance.now() - t)
      when.push([(t - startedAt) / 1000, performance.now() - t])
    }
  }
  if (ok && ++checked % 20 === 0) {
    lastCount = count()
    if (lastCount === 0) break
  }
  if (performance.now() - t0 > 600_000) break
  await Bun.sleep(10)
}
const took = (performance.now() - startedAt) / 1000
const worst = Math.max(...lat)
rows.push([`cleanup of ${N.toLocaleString('en')} requests: slowest /api/health answer`, `${worst.toFixed(1)} ms`, '<= 100 ms', worst <= 100])
rows.push(['  p99 of /api/health during cleanup', `${percentile(lat, 99).toFixed(1)} ms`, '-', true])
const slowest = [...when].sort((a, b) => b[1] - a[1]).slice(0, 3)
rows.push(['  slowest three (at s after start: ms)', slowest.map(([at, ms]) => `${at.toFixed(1)}:${ms.toFixed(0)}`).join(' '), '-', true])
rows.push(['  slowest answer of an idle server, 20 s (machine noise)', `${idleWorst.toFixed(1)} ms`, '-', true])
rows.push(['  cleanup time (server start to 0 rows)', `${took.toFixed(1)} s`, '-', lastCount === 0])
for (let i = 0; i < 300 && statSync(db).size >= before / 2; i++) await Bun.sleep(200)
const after = statSync(db).size
rows.push(['  state.db before / after', `${(before / 2 ** 20).toFixed(0)} / ${(after / 2 ** 20).toFixed(0)} MB`, 'shrinks', after < before / 2])
server.kill('SIGTERM')
await server.exited
rmSync(home, { recursive: true, force: true })
report(rows)
