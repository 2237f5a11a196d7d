// Cluster figures (issue: clusters): local `sky launch -y -- echo hi` until `hi` is printed,
// `sky exec` to output, and `sky status` with 1,500 clusters in the store.
// Usage: bun scripts/bench/clusters.ts   (build first: bun scripts/build.ts)
import { Database } from 'bun:sqlite'
import { join } from 'node:path'
import { BIN, freePort, median, removeHome, report, tempDir, timeUntilOutput } from './lib'

const home = tempDir()
const port = await freePort()
const env = { PATH: process.env.PATH!, HOME: home, SKY_HOME: home, SKYPILOT_API_SERVER_ENDPOINT: `http://127.0.0.1:${port}`, NO_COLOR: '1' }
const rows: [string, string, string, boolean][] = []

const timeUntil = (args: string[], needle: string) => timeUntilOutput(BIN, args, env, needle)

Bun.spawnSync([BIN, 'api', 'start'], { env })
const launches: number[] = []
for (let i = 0; i < 5; i++) {
  launches.push(await timeUntil(['launch', '-y', '-c', `b${i}`, '--cpus', '0.1', '--', 'echo hi'], ') hi'))
}
const launch = median(launches)
rows.push(['local launch -y -- echo hi, until hi', `${launch.toFixed(0)} ms`, '<= 1000 ms', launch <= 1000])

const execs: number[] = []
for (let i = 0; i < 9; i++) execs.push(await timeUntil(['exec', 'b0', '--', 'echo out'], ') out'))
const exec = median(execs)
rows.push(['sky exec to output', `${exec.toFixed(0)} ms`, '<= 300 ms', exec <= 300])

for (let i = 0; i < 5; i++) {
  const d = Bun.spawnSync([BIN, 'down', '-y', `b${i}`], { env, stderr: 'pipe' })
  if (d.exitCode !== 0) console.error(`down b${i}: exit ${d.exitCode}: ${d.stderr.toString().trim()}`)
}

// 1,500 clusters straight into the store (as rows an API server would have written).
const db = new Database(join(home, 'state.db'))
const ins = db.prepare(
  `INSERT INTO clusters (name, user_id, user_name, status, infra, resources, num_nodes, handle, autostop_minutes, autostop_down, launched_at, last_use, last_command, status_updated_at, cluster_hash, workspace) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, -1, 0, ?, ?, ?, ?, ?, 'default')`,
)
const userId = (await Bun.file(join(home, 'user_hash')).text()).trim()
db.transaction(() => {
  for (let i = 0; i < 1500; i++) {
    const now = Date.now() - i * 60_000
    ins.run(`c-${i}`, userId, 'bench', i % 3 ? 'UP' : 'STOPPED', JSON.stringify({ cloud: 'aws', region: 'us-east-1' }), JSON.stringify({ label: 'cpus=8, mem=32, m6i.2xlarge' }), 1, now, now, 'sky launch', now, `h${i}`)
  }
})()
db.close()
const statuses: number[] = []
for (let i = 0; i < 7; i++) {
  const t = performance.now()
  const r = Bun.spawnSync([BIN, 'status'], { env, stdout: 'pipe' })
  statuses.push(performance.now() - t)
  if (!r.stdout.toString().includes('c-1499')) throw new Error('status did not list the clusters')
}
const st = median(statuses)
rows.push(['sky status with 1,500 clusters', `${st.toFixed(0)} ms`, '<= 300 ms', st <= 300])

Bun.spawnSync([BIN, 'api', 'stop'], { env })
removeHome(home)
report(rows)
