// Shared bench helpers: temp homes, free ports, timing, percentiles, RSS of a pid.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dir, '../..')
export const BIN = process.env.SKY_BIN ?? join(ROOT, 'dist/sky')

export function tempDir(prefix = 'sky-bench-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => res(p))
    })
  })
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

export function timeRun(cmd: string[], env: Record<string, string>): number {
  const t = performance.now()
  const r = Bun.spawnSync(cmd, { env, stdout: 'ignore', stderr: 'ignore' })
  if (r.exitCode !== 0) throw new Error(`${cmd.join(' ')} exited ${r.exitCode}`)
  return performance.now() - t
}

export function report(rows: [string, string, string, boolean][]): void {
  const w = Math.max(...rows.map((r) => r[0].length))
  for (const [name, got, target, ok] of rows) console.log(`${name.padEnd(w)}  ${got.padStart(14)}  target ${target.padEnd(22)} ${ok ? 'OK' : 'MISS'}`)
}

/**
 * Run `op` from `conc` loops for `seconds` (or until `maxOps`): ops per second over the time
 * taken, each op's latency, and how many failed (the first three are printed; a loop gives up
 * after 100 failures).
 */
export async function load(seconds: number, conc: number, op: () => Promise<void>, maxOps = Infinity): Promise<{ ops: number; lat: number[]; errors: number }> {
  const lat: number[] = []
  let errors = 0
  const started = performance.now()
  const until = started + seconds * 1000
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (performance.now() < until && lat.length < maxOps) {
        const t = performance.now()
        try {
          await op()
          lat.push(performance.now() - t)
        } catch (e) {
          if (++errors <= 3) console.error(`error: ${(e as Error).message}`)
          if (errors > 100) return
        }
      }
    }),
  )
  return { ops: (lat.length * 1000) / (performance.now() - started), lat, errors }
}

/** A local server's token (what the CLI reads from $SKY_HOME/api_server/local.token). */
export function localTokenHeader(home: string): Record<string, string> {
  return { 'x-sky-local-token': readFileSync(join(home, 'api_server', 'local.token'), 'utf8').trim() }
}

/** The status request as a client makes it: submit, then wait for the result (must succeed). */
export function statusOp(endpoint: string, authorization?: string | Record<string, string>): () => Promise<void> {
  const auth: Record<string, string> = typeof authorization === 'string' ? { authorization } : (authorization ?? {})
  const headers = { 'content-type': 'application/json', 'x-skypilot-api-version': '1', ...auth }
  return async () => {
    const r = await fetch(`${endpoint}/status`, { method: 'POST', headers, body: '{}' })
    if (r.status !== 200) throw new Error(`POST /status: HTTP ${r.status} ${await r.text()}`)
    const id = r.headers.get('x-skypilot-request-id')
    await r.arrayBuffer()
    for (;;) {
      const g = await fetch(`${endpoint}/api/get?request_id=${id}`, { headers: auth })
      const body = (await g.json()) as { status: string }
      if (g.status === 202) continue
      if (body.status !== 'SUCCEEDED') throw new Error(`status request ended ${body.status} (HTTP ${g.status})`)
      return
    }
  }
}

/** After `sky api stop`: stop the home's local agent host (it would leave once idle) and remove the home. */
export function removeHome(home: string): void {
  try {
    const pid = Number(readFileSync(join(home, 'local', '.agent-host', 'host.lock'), 'utf8'))
    if (pid > 0) process.kill(pid, 'SIGTERM')
  } catch {}
  rmSync(home, { recursive: true, force: true })
}

export interface CloudBenchHome {
  home: string
  env: Record<string, string>
  /** Run the binary (spawned asynchronously: a test peer may live in this process); throws on a non-zero exit. */
  sky(args: string[]): Promise<{ ms: number; code: number; out: string }>
  /** Take every cluster down, stop the home's API server and remove the home. */
  close(): Promise<void>
}

/** A throwaway home for a cloud bench: its own API server port, the peer's environment and config. */
export async function cloudBenchHome(peerEnv: Record<string, string>, configYaml: string): Promise<CloudBenchHome> {
  const home = tempDir()
  const port = await freePort()
  const env: Record<string, string> = {
    PATH: process.env.PATH!,
    HOME: home,
    USER: 'bench',
    SKY_HOME: home,
    SKYPILOT_API_SERVER_ENDPOINT: `http://127.0.0.1:${port}`,
    NO_COLOR: '1',
    ...peerEnv,
  }
  await Bun.write(join(home, 'config.yaml'), configYaml)
  async function sky(args: string[]): Promise<{ ms: number; code: number; out: string }> {
    const t = performance.now()
    const p = Bun.spawn([BIN, ...args], { env, stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' })
    const timer = setTimeout(() => p.kill('SIGKILL'), 300_000)
    const [o, e, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
    clearTimeout(timer)
    const ms = performance.now() - t
    if (code !== 0) throw new Error(`sky ${args.join(' ')} exited ${code}:\n${o}${e}`)
    return { ms, code, out: o + e }
  }
  return {
    home,
    env,
    sky,
    async close() {
      await sky(['down', '-a', '-y']).catch((e) => console.error(String(e)))
      const info = Bun.file(join(home, 'api_server', 'server.json'))
      if (await info.exists()) {
        try {
          process.kill((JSON.parse(await info.text()) as { pid: number }).pid, 'SIGTERM')
        } catch {}
      }
      rmSync(home, { recursive: true, force: true })
    },
  }
}

/** Run `bin args` (async: a test server may live in the caller's process); ms until `needle` first appears on stdout. */
export async function timeUntilOutput(bin: string, args: string[], env: Record<string, string>, needle: string): Promise<number> {
  const t = performance.now()
  const p = Bun.spawn([bin, ...args], { env, stdout: 'pipe', stderr: 'pipe' })
  const dec = new TextDecoder()
  let seen = ''
  let at = -1
  for await (const chunk of p.stdout as unknown as AsyncIterable<Uint8Array>) {
    seen += dec.decode(chunk)
    if (at < 0 && seen.includes(needle)) at = performance.now() - t
  }
  await p.exited
  if (at < 0) throw new Error(`${args.join(' ')}: never printed ${needle}\n${seen}\n${await new Response(p.stderr).text()}`)
  return at
}
