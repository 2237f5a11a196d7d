// Test helpers: temporary homes, free ports, and running the compiled binary.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parse, stringify } from 'yaml'
import { TEST_HOME_MARKER } from '../../src/core/testing'
import { pidAlive } from '../../src/lib/proc'
import { acquireLock } from '../../src/lib/lock'
export { pidAlive }

export const ROOT = resolve(import.meta.dir, '../..')
export const SKY_BIN = process.env.SKY_BIN ?? join(ROOT, 'dist/sky')

let binaryChecked: Promise<void> | undefined

/** The newest modification time of the files under `dir` (generated `out/` and node_modules skipped). */
export function newestMtime(dir: string): number {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'out' || e.name === 'node_modules') continue
    const p = join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return newest
}

/**
 * The e2e suites run the compiled binary: make sure dist/sky is this tree's. It is rebuilt (once
 * per test process) unless it was built from the current commit and nothing under src/ changed
 * since. SKY_BIN names a binary to test as it is.
 */
export function ensureBinary(): Promise<void> {
  binaryChecked ??= (async () => {
    if (process.env.SKY_BIN) return
    const head = Bun.spawnSync(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD']).stdout.toString().trim()
    const fresh = () => {
      if (!existsSync(SKY_BIN)) return false
      const version = Bun.spawnSync([SKY_BIN, '--version'], { env: { PATH: process.env.PATH ?? '' } }).stdout.toString()
      const built = statSync(SKY_BIN).mtimeMs
      const inputs = Math.max(newestMtime(join(ROOT, 'src')), statSync(join(ROOT, 'package.json')).mtimeMs, statSync(join(ROOT, 'scripts/build.ts')).mtimeMs)
      return !!head && version.includes(`(commit ${head})`) && inputs <= built
    }
    if (fresh()) return
    // Test files run side by side (scripts/test.ts): one builds, the others wait and use it.
    const release = await acquireLock(join(ROOT, 'dist', '.build.lock'), 300_000)
    if (!release) throw new Error(`timed out waiting for another test process to build ${SKY_BIN}`)
    try {
      if (fresh()) return
      const b = Bun.spawnSync([process.execPath, join(ROOT, 'scripts/build.ts')], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' })
      if (b.exitCode !== 0) throw new Error(`building ${SKY_BIN} failed:\n${b.stderr.toString()}`)
    } finally {
      release()
    }
  })()
  return binaryChecked
}
export const TEST_PLUGIN = join(ROOT, 'test/fixtures/plugins/test-ops.ts')

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer()
    s.once('error', rej)
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port
      s.close(() => res(port))
    })
  })
}

/** Each temp home's endpoint → its SKY_HOME, so local-server calls can carry its token. */
const homes = new Map<string, string>()

/** The local token headers for a URL on a temp home's local server ({} when none). */
export function localAuth(url: string): Record<string, string> {
  for (const [ep, dir] of homes) {
    if (!url.startsWith(ep)) continue
    const f = join(dir, 'api_server', 'local.token')
    if (existsSync(f)) return { 'x-sky-local-token': readFileSync(f, 'utf8').trim() }
  }
  return {}
}

/** fetch with the owner's local token for a temp home's local server (as the CLI sends it). */
export function authedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...localAuth(url), ...(init.headers as Record<string, string> | undefined) } })
}

export interface TempHome {
  dir: string
  port: number
  endpoint: string
  env: Record<string, string>
  /** Write $SKY_HOME/config.yaml. */
  config(yaml: string): void
  /** Run the compiled binary with this home's env. */
  sky(args: string[], o?: { env?: Record<string, string>; timeoutMs?: number; stdin?: string; cwd?: string }): Promise<RunOut>
  spawn(args: string[], o?: { env?: Record<string, string> }): Bun.Subprocess<'ignore', 'pipe', 'pipe'>
  serverPid(): number | undefined
  /** fetch on this home's server with its local token. */
  fetch(path: string, init?: RequestInit): Promise<Response>
  cleanup(): Promise<void>
}

export interface RunOut {
  code: number
  stdout: string
  stderr: string
}

export async function tempHome(o: { plugins?: boolean; config?: string } = {}): Promise<TempHome> {
  await ensureBinary()
  const dir = mkdtempSync(join(tmpdir(), 'sky-e2e-'))
  // Marks a test home: only here may config carry `testing:` settings (src/core/testing.ts).
  writeFileSync(join(dir, TEST_HOME_MARKER), '')
  const port = await freePort()
  const endpoint = `http://127.0.0.1:${port}`
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    USER: 'tester',
    SKY_HOME: dir,
    SKYPILOT_API_SERVER_ENDPOINT: endpoint,
    NO_COLOR: '1',
  }
  const spawned: Bun.Subprocess[] = []
  const h: TempHome = {
    dir,
    port,
    endpoint,
    env,
    config(yaml) {
      writeFileSync(join(dir, 'config.yaml'), yaml)
    },
    async sky(args, ro = {}) {
      const p = Bun.spawn([SKY_BIN, ...args], {
        env: { ...env, ...ro.env },
        cwd: ro.cwd,
        stdin: ro.stdin !== undefined ? new TextEncoder().encode(ro.stdin) : 'ignore',
        stdout: 'pipe',
        stderr: 'pipe',
      })
      const timer = setTimeout(() => p.kill('SIGKILL'), ro.timeoutMs ?? 60_000)
      const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
      clearTimeout(timer)
      return { code, stdout, stderr }
    },
    spawn(args, so = {}) {
      const p = Bun.spawn([SKY_BIN, ...args], { env: { ...env, ...so.env }, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
      spawned.push(p)
      return p
    },
    fetch(path, init) {
      return authedFetch(endpoint + path, init)
    },
    serverPid() {
      const f = join(dir, 'api_server', `server-${port}.json`)
      if (!existsSync(f)) return undefined
      return (JSON.parse(readFileSync(f, 'utf8')) as { pid: number }).pid
    },
    async cleanup() {
      for (const p of spawned) if (p.exitCode === null) p.kill('SIGKILL')
      const pid = h.serverPid()
      if (pid && pidAlive(pid)) {
        process.kill(pid, 'SIGKILL')
        for (let i = 0; i < 100 && pidAlive(pid); i++) await Bun.sleep(10)
      }
      // The local agent host this home's clusters used (it would leave by itself once idle).
      try {
        const host = Number(readFileSync(join(dir, 'local', '.agent-host', 'host.lock'), 'utf8'))
        if (host > 0 && pidAlive(host)) process.kill(host, 'SIGTERM')
      } catch {}
      // Any other server this home started (by its port in the command line).
      const ps = Bun.spawnSync(['pgrep', '-f', `--port ${port}`]).stdout.toString().trim()
      for (const line of ps.split('\n').filter(Boolean)) {
        try {
          process.kill(Number(line), 'SIGKILL')
        } catch {}
      }
      homes.delete(endpoint)
      rmSync(dir, { recursive: true, force: true })
    },
  }
  homes.set(endpoint, dir)
  if (o.plugins || o.config) {
    const cfg = (o.config ? parse(o.config) : {}) as { api_server?: Record<string, unknown> }
    if (o.plugins) cfg.api_server = { ...cfg.api_server, plugins: [TEST_PLUGIN] }
    h.config(stringify(cfg))
  }
  return h
}

/**
 * The account's home directory from /etc/passwd: where sshd puts a login session, whatever $HOME
 * this process has (os.userInfo().homedir follows $HOME under Bun).
 */
export function accountHome(): string {
  const uid = process.getuid?.()
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[2] === String(uid))
  const home = line?.split(':')[5]
  if (!home) throw new Error(`no /etc/passwd entry for uid ${uid}`)
  return home
}

export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number
  stepMs?: number
  /** What is awaited, for the failure message ("the job to be RUNNING"). */
  what?: string
}

/**
 * Poll `fn` until it returns a truthy value (returned), or fail after the deadline saying what was
 * awaited and the last value seen. Use instead of a fixed sleep before an assertion.
 */
export async function waitFor<T>(fn: () => Promise<T | undefined | false | null> | T | undefined | false | null, o: WaitOptions | number = {}, stepMs = 25): Promise<T> {
  const opts = typeof o === 'number' ? { timeoutMs: o, stepMs } : o
  const timeoutMs = opts.timeoutMs ?? 10_000
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    last = await fn()
    if (last) return last as T
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? fn.toString().slice(0, 120)} (last value: ${JSON.stringify(last)})`)
    await Bun.sleep(opts.stepMs ?? stepMs)
  }
}

/** Set environment variables for a test file; returns the restorer (call it in afterAll/afterEach). */
export { setEnv } from './cloud/env'

/** Submit a plugin operation straight over HTTP; returns the request id. */
export async function submitPlugin(endpoint: string, name: string, body: unknown): Promise<string> {
  const r = await authedFetch(`${endpoint}/api/plugins/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (r.status !== 200) throw new Error(`submit ${name}: HTTP ${r.status} ${await r.text()}`)
  return r.headers.get('x-skypilot-request-id')!
}

export async function requestRow(endpoint: string, id: string): Promise<{ status: string; error?: { message: string }; return_value?: unknown }> {
  const r = await authedFetch(`${endpoint}/api/status?request_ids=${id}&all_status=true`)
  const rows = (await r.json()) as { status: string; error?: { message: string } }[]
  return rows[0]!
}

/**
 * Describe GPUs to the home's API server the way a real machine does: an `nvidia-smi` on its PATH
 * that answers `--query-gpu=name,memory.total --format=csv,noheader` with `lines`.
 */
export function fakeGpus(h: TempHome, lines: string[]): void {
  const bin = join(h.dir, 'fake-bin')
  mkdirSync(bin, { recursive: true })
  writeFileSync(join(bin, 'nvidia-smi'), `#!/bin/sh\ncat <<'EOF'\n${lines.join('\n')}\nEOF\n`, { mode: 0o755 })
  h.env.PATH = `${bin}:${h.env.PATH}`
}

/**
 * The home directory of node `rank` of local cluster `name` in this SKY_HOME
 * (`$SKY_HOME/local/<name-on-cloud>/node-<rank>`; the name on cloud adds the owner's hash).
 */
export function localNodeDir(h: TempHome, name: string, rank = 0): string {
  const base = join(h.dir, 'local')
  const dir = existsSync(base) ? readdirSync(base).find((d) => d.startsWith(`${name}-`) && /^[0-9a-f]{4}$/.test(d.slice(name.length + 1))) : undefined
  return join(base, dir ?? `${name}-????`, `node-${rank}`)
}

export function cleanupDir(d: string) {
  rmSync(d, { recursive: true, force: true })
}
