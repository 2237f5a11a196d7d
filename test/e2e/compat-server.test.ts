// Who answers on the port: SkyPilot's own API server is named and refused (exit 5, no raw JSON),
// and a local sky server of another build is replaced by this one.
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, tempHome, type TempHome } from '../harness'
import { SKYPILOT_VERSION, startSkyPilotServer } from '../harness/skypilot-server'

const homes: TempHome[] = []
const dirs: string[] = []
afterAll(async () => {
  for (const h of homes) await h.cleanup()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('another API server on the port', () => {
  test('SkyPilot answering: every command says so, exit 5, no escaped JSON', async () => {
    const h = await tempHome()
    homes.push(h)
    const fake = startSkyPilotServer(h.port)
    try {
      for (const args of [['status'], ['launch', '-y', '--', 'echo hi'], ['api', 'info']]) {
        const r = await h.sky(args)
        expect(r.code).toBe(5)
        expect(r.stderr).toContain(`Another API server (SkyPilot ${SKYPILOT_VERSION}`)
        expect(r.stderr).toContain(`answers at ${h.endpoint}`)
        expect(r.stderr).not.toContain('\\u001b')
        expect(r.stderr).not.toContain('pip install')
        expect(r.stderr).not.toContain('{"error"')
      }
      // Each command stopped at its first answer (plus one /api/health probe to identify it).
      expect(fake.requests.filter((q) => q.startsWith('POST')).length).toBeLessThanOrEqual(2)
    } finally {
      fake.stop()
    }
  })
})

describe('a local server of another build', () => {
  test('is replaced by this build on the next command, which then succeeds', async () => {
    // A second build of the same tree: same version and commit, another build id.
    const dir = mkdtempSync(join(tmpdir(), 'sky-other-build-'))
    dirs.push(dir)
    const other = join(dir, 'sky')
    const b = Bun.spawnSync([process.execPath, 'scripts/build.ts'], { cwd: ROOT, env: { ...process.env, SKY_BUILD_OUT: other }, stderr: 'pipe' })
    expect(b.exitCode).toBe(0)
    const h = await tempHome()
    homes.push(h)
    const started = Bun.spawnSync([other, 'api', 'start'], { env: h.env })
    expect(started.exitCode).toBe(0)
    const first = h.serverPid()!
    const otherBuild = (await fetch(`${h.endpoint}/api/health`)).headers.get('x-sky-build')
    expect(otherBuild).toBeTruthy()
    const r = await h.sky(['status'])
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('Restarting the local API server: it runs sky')
    const second = h.serverPid()!
    expect(second).not.toBe(first)
    const now = (await fetch(`${h.endpoint}/api/health`)).headers.get('x-sky-build')
    expect(now).toBeTruthy()
    expect(now).not.toBe(otherBuild)
    // The build the client has is now the server's: no restart the second time.
    const again = await h.sky(['status'])
    expect(again.stderr).not.toContain('Restarting')
    expect(h.serverPid()).toBe(second)
  }, 180_000)
})
