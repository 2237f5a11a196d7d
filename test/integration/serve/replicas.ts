// Replica processes for load-balancer tests: real Bun HTTP servers (test/fixtures/serve/replica.ts)
// on free ports, each its own process so it can be SIGKILLed.
import { join } from 'node:path'

const FIXTURE = join(import.meta.dir, '../../fixtures/serve/replica.ts')

export interface TestReplica {
  id: string
  port: number
  url: string
  proc: ReturnType<typeof Bun.spawn>
  kill(signal?: NodeJS.Signals): void
}

export async function startReplica(id: string, port = 0, host = '127.0.0.1'): Promise<TestReplica> {
  const proc = Bun.spawn([process.execPath, FIXTURE, String(port), id, host], { stdout: 'pipe', stderr: 'inherit' })
  const reader = proc.stdout.getReader()
  let text = ''
  const deadline = Date.now() + 20_000
  while (!/listening (\d+)/.test(text)) {
    if (Date.now() > deadline) throw new Error(`replica ${id} did not start: ${text}`)
    const { value, done } = await reader.read()
    if (done) throw new Error(`replica ${id} exited: ${text}`)
    text += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  const p = Number(/listening (\d+)/.exec(text)![1])
  return { id, port: p, url: `http://${host}:${p}`, proc, kill: (s = 'SIGTERM') => proc.kill(s) }
}

/** Poll `fn` until it returns a truthy value (deadline, not a fixed sleep). */
export async function until<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(10)
  }
}
