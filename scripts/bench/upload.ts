// Upload figures (issue 18): a 100 MB workdir (200 files of 512 KB, random content) packed and
// uploaded by the client (src/sdk/uploads.ts) to a deployed server (the compiled binary, auth on)
// over loopback: the first upload (hash + send), then the same workdir again (target: 0 bytes
// sent), then with one file changed (only that file is sent).
// Usage: bun scripts/bench/upload.ts   (build first: bun scripts/build.ts)
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SkyClient } from '../../src/sdk/client'
import { parseEndpoint } from '../../src/sdk/endpoint'
import { uploadTaskFiles } from '../../src/sdk/uploads'
import { BIN, freePort, median, report, tempDir } from './lib'

const FILES = 200
const SIZE = 512 << 10
const rows: [string, string, string, boolean][] = []
const home = tempDir()
const port = await freePort()
const endpoint = `http://admin:pw@127.0.0.1:${port}`
const server = Bun.spawn([BIN, 'api', 'start', '--deploy', '--foreground', '--host', '127.0.0.1', '--port', String(port)], {
  env: { PATH: process.env.PATH!, HOME: home, SKY_HOME: home, NO_COLOR: '1', SKYPILOT_INITIAL_ADMIN: 'admin:pw' },
  stdout: 'ignore',
  stderr: 'inherit',
})
process.on('exit', () => server.exitCode === null && server.kill('SIGKILL'))
for (;;) {
  if (await fetch(`http://127.0.0.1:${port}/api/health`).then((r) => r.ok, () => false)) break
  await Bun.sleep(20)
}

// The client's own SKY_HOME, apart from the server's.
process.env.SKY_HOME = tempDir()
const mb = (n: number) => `${(n / (1 << 20)).toFixed(1)} MB`
const runs: { first: number; again: number; changed: number; sentAgain: number; sentChanged: number }[] = []
for (let r = 0; r < 3; r++) {
  const wd = tempDir('sky-bench-wd-')
  mkdirSync(join(wd, 'data'))
  for (let i = 0; i < FILES; i++) writeFileSync(join(wd, 'data', `f${i}.bin`), crypto.getRandomValues(new Uint8Array(SIZE)))
  const c = new SkyClient({ endpoint: parseEndpoint(endpoint), autoStart: false })
  const task = { workdir: wd, fileMounts: {} }
  let t = performance.now()
  const a = await uploadTaskFiles(c, task)
  const first = performance.now() - t
  if (a!.stats.sentBytes < FILES * SIZE) throw new Error(`first upload sent ${a!.stats.sentBytes} bytes`)
  t = performance.now()
  const b = await uploadTaskFiles(c, task)
  const again = performance.now() - t
  writeFileSync(join(wd, 'data', 'f7.bin'), crypto.getRandomValues(new Uint8Array(SIZE)))
  t = performance.now()
  const d = await uploadTaskFiles(c, task)
  const changed = performance.now() - t
  runs.push({ first, again, changed, sentAgain: b!.stats.sentBytes, sentChanged: d!.stats.sentBytes })
  rmSync(wd, { recursive: true, force: true })
}
const first = median(runs.map((x) => x.first))
rows.push([`100 MB workdir (${FILES} files), first upload`, `${(first / 1000).toFixed(2)} s`, '<= 2 s', first <= 2000])
const again = median(runs.map((x) => x.again))
const sentAgain = Math.max(...runs.map((x) => x.sentAgain))
rows.push(['same workdir again: bytes re-sent', `${sentAgain} bytes`, '0 bytes', sentAgain === 0])
rows.push(['same workdir again: time (hash + check)', `${(again / 1000).toFixed(2)} s`, '-', true])
const changed = median(runs.map((x) => x.changed))
rows.push(['one file changed: bytes sent', mb(Math.max(...runs.map((x) => x.sentChanged))), `${mb(SIZE)}`, runs.every((x) => x.sentChanged === SIZE)])
rows.push(['one file changed: time', `${(changed / 1000).toFixed(2)} s`, '-', true])
server.kill('SIGTERM')
await server.exited
rmSync(home, { recursive: true, force: true })
report(rows)
