// moto's EC2 server as the AWS peer: one `moto_server` per test file on a free 127.0.0.1 port,
// reset between tests, stopped by PID. One server answers for every region (the region comes from
// each request's SigV4 credential scope; signatures are not checked).
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '../index.ts'
import { ownedTempDir, stopTree, waitHttp } from '../cloud/proc.ts'

export const MOTO_MISSING =
  'moto_server was not found: the AWS tests run against moto\'s EC2 server. Install it with ' +
  '`pip install "moto[server]"` (moto 5.x on Python 3) so that `moto_server` is on PATH, or set ' +
  'SKY_TEST_MOTO_SERVER to its absolute path.'

export interface Moto {
  /** http://127.0.0.1:PORT — talk to moto directly (no fault rules, no call log). */
  endpoint: string
  port: number
  pid: number
  /** Forget every resource in every region (`POST /moto-api/reset`). */
  reset(): Promise<void>
  stop(): Promise<void>
}

export function motoServerPath(): string | null {
  return process.env.SKY_TEST_MOTO_SERVER || Bun.which('moto_server')
}

export async function startMoto(): Promise<Moto> {
  const bin = motoServerPath()
  if (!bin) throw new Error(MOTO_MISSING)
  const dir = ownedTempDir('moto')
  const log = join(dir, 'moto.log')
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    const proc = Bun.spawn([bin, '-H', '127.0.0.1', '-p', String(port)], {
      stdin: 'ignore',
      stdout: Bun.file(log),
      stderr: Bun.file(log),
    })
    writeFileSync(join(dir, 'moto.pid'), String(proc.pid))
    const killNow = () => {
      try {
        process.kill(proc.pid, 'SIGKILL')
      } catch {}
    }
    process.on('exit', killNow)
    const endpoint = `http://127.0.0.1:${port}`
    try {
      await waitHttp(`${endpoint}/moto-api/`, proc, 30_000, log)
    } catch (err) {
      lastError = err
      process.off('exit', killNow)
      await stopTree(proc.pid)
      continue // most likely another process took the port between freePort() and the bind
    }
    let stopped = false
    return {
      endpoint,
      port,
      pid: proc.pid,
      async reset() {
        const r = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' })
        if (!r.ok) throw new Error(`moto reset: HTTP ${r.status} ${await r.text()}`)
      },
      async stop() {
        if (stopped) return
        stopped = true
        process.off('exit', killNow)
        await stopTree(proc.pid)
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  rmSync(dir, { recursive: true, force: true })
  throw lastError
}
