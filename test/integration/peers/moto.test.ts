// moto's lifecycle in the harness: a missing moto fails loudly with what to install; a started one
// listens on 127.0.0.1 only and is gone, by PID, after stop().
import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { pidAlive } from '../../harness/index.ts'
import { MOTO_MISSING, startMoto } from '../../harness/aws/moto.ts'

test('without moto_server the AWS peer fails with what to install', async () => {
  const script = `import { startMoto } from ${JSON.stringify(join(import.meta.dir, '../../harness/aws/moto.ts'))}; await startMoto()`
  const p = Bun.spawn([process.execPath, '-e', script], { env: { PATH: '/nonexistent', HOME: process.env.HOME ?? '/tmp' }, stdout: 'pipe', stderr: 'pipe' })
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited])
  expect(code).not.toBe(0)
  expect(err).toContain(MOTO_MISSING)
  expect(MOTO_MISSING).toContain('pip install "moto[server]"')
})

test('moto listens on 127.0.0.1 and is stopped by PID', async () => {
  const moto = await startMoto()
  try {
    expect(moto.endpoint).toBe(`http://127.0.0.1:${moto.port}`)
    const ss = Bun.spawnSync(['ss', '-Hltnp']).stdout.toString().split('\n').filter((l) => l.includes(`pid=${moto.pid},`))
    expect(ss.length).toBeGreaterThan(0)
    expect(ss.every((l) => l.includes(`127.0.0.1:${moto.port}`))).toBe(true)
  } finally {
    await moto.stop()
  }
  expect(pidAlive(moto.pid)).toBe(false)
  expect(await fetch(`${moto.endpoint}/moto-api/`).then(() => 'answered', () => 'refused')).toBe('refused')
})
