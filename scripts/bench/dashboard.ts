// Dashboard figures (issue: dashboard): the first load of /dashboard from a cold server (the HTML,
// then its JS and CSS, as a browser fetches them, gzip accepted) and the clusters page with 1,500
// clusters in headless Chromium, from navigation until the table shows them all.
// Usage: bun scripts/bench/dashboard.ts   (build first: bun scripts/build.ts; needs chromium)
import { Database } from 'bun:sqlite'
import { join } from 'node:path'
import { launchBrowser } from '../../test/harness/browser'
import { BIN, freePort, median, report, tempDir } from './lib'

const home = tempDir()
const port = await freePort()
const endpoint = `http://127.0.0.1:${port}`
const env = { PATH: process.env.PATH!, HOME: home, SKY_HOME: home, SKYPILOT_API_SERVER_ENDPOINT: endpoint, NO_COLOR: '1' }
const rows: [string, string, string, boolean][] = []
const N = 1500

async function startServer(): Promise<Bun.Subprocess> {
  const p = Bun.spawn([BIN, 'api', 'start', '--foreground', '--port', String(port)], { env, stdout: 'ignore', stderr: 'ignore' })
  for (;;) {
    try {
      if ((await fetch(`${endpoint}/api/health`)).ok) return p
    } catch {}
    await Bun.sleep(2)
  }
}

async function stopServer(p: Bun.Subprocess): Promise<void> {
  p.kill('SIGTERM')
  await p.exited
}

/** HTML, then every script and stylesheet it links (in parallel): ms, and bytes on the wire. */
async function firstLoad(): Promise<{ ms: number; wire: number; files: number }> {
  const headers = { 'accept-encoding': 'gzip' }
  const size = (r: Response, body: string) => Number(r.headers.get('content-length') ?? body.length)
  const t = performance.now()
  const html = await fetch(`${endpoint}/dashboard`, { headers })
  const text = await html.text()
  const links = [...text.matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!)
  const sizes = await Promise.all(links.map(async (l) => {
    const r = await fetch(endpoint + l, { headers })
    return size(r, await r.text())
  }))
  const ms = performance.now() - t
  if (links.length < 2) throw new Error(`/dashboard links ${links.length} scripts and stylesheets, expected 2`)
  return { ms, wire: size(html, text) + sizes.reduce((n, b) => n + b, 0), files: 1 + links.length }
}

// The store's schema comes from the server's migrations: start once, then stop.
await stopServer(await startServer())

// 1. First load from a cold server, five fresh servers.
const loads: { ms: number; wire: number; files: number }[] = []
for (let i = 0; i < 5; i++) {
  const p = await startServer()
  loads.push(await firstLoad())
  await stopServer(p)
}
const load = median(loads.map((l) => l.ms))
rows.push(['first load of /dashboard, cold server', `${load.toFixed(1)} ms`, '<= 300 ms', load <= 300])
rows.push([`  (HTML + JS + CSS: ${loads[0]!.files} files, gzip)`, `${(loads[0]!.wire / 1024).toFixed(1)} KiB`, '< 500 KiB', loads[0]!.wire < 500 * 1024])

// 2. 1,500 clusters straight into the store, then a cold server and Chromium.
const db = new Database(join(home, 'state.db'))
const userId = (await Bun.file(join(home, 'user_hash')).text()).trim()
const ins = db.prepare(
  `INSERT INTO clusters (name, user_id, user_name, status, infra, resources, num_nodes, handle, autostop_minutes, autostop_down, launched_at, last_use, last_command, status_updated_at, cluster_hash, workspace) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, 0, ?, ?, ?, ?, ?, 'default')`,
)
db.transaction(() => {
  for (let i = 0; i < N; i++) {
    const at = Date.now() - i * 60_000
    const status = i % 5 === 0 ? 'STOPPED' : i % 17 === 0 ? 'INIT' : 'UP'
    const infra = i % 2 ? { cloud: 'aws', region: 'us-east-1' } : { cloud: 'gcp', region: 'us-central1', zone: 'us-central1-a' }
    const resources = { label: 'cpus=8, mem=32, m6i.2xlarge', capacity: { cpus: 8, memoryGb: 32 }, instanceType: 'm6i.2xlarge' }
    ins.run(`bench-cluster-${i}`, userId, 'bench', status, JSON.stringify(infra), JSON.stringify(resources), 1 + (i % 3), i % 4 ? -1 : 30, at, at, `sky launch -c bench-cluster-${i} task.yaml`, at, `h${i}`)
  }
})()
db.close()

const server = await startServer()
const browser = await launchBrowser()
const renders: number[] = []
const scripts: number[] = []
try {
  for (let i = 0; i < 5; i++) {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } })
    const page = await ctx.newPage()
    // A local server's page opens with the one-time code `sky dashboard` hands out.
    const link = Bun.spawnSync([BIN, 'dashboard', '--no-open'], { env }).stdout.toString().trim()
    await page.goto(`${endpoint}/dashboard/clusters${link.slice(link.indexOf('#'))}`)
    await page.waitForSelector(`.page[data-rendered="${N}"]`, { timeout: 30_000 })
    const m = await page.evaluate(() => {
      const mark = performance.getEntriesByName('sky:clusters-rendered')[0]!
      const api = performance.getEntriesByType('resource').find((r) => r.name.includes('/api/dashboard/clusters')) as PerformanceResourceTiming
      return { at: mark.startTime, afterData: mark.startTime - api.responseEnd, rows: document.querySelectorAll('tbody tr').length }
    })
    if (m.rows !== N) throw new Error(`the table shows ${m.rows} rows, not ${N}`)
    renders.push(m.at)
    scripts.push(m.afterData)
    await ctx.close()
  }
} finally {
  await browser.close()
  await stopServer(server)
}
const render = median(renders)
rows.push([`clusters page with ${N.toLocaleString('en')} clusters, navigation to table`, `${render.toFixed(0)} ms`, '<= 1000 ms', render <= 1000])
rows.push(['  (of which: data received to rows in the DOM)', `${median(scripts).toFixed(0)} ms`, '-', true])
report(rows)
