// The sshd harness itself: a crashed run's namespaces, links, sshd processes and temp dirs are
// removed by the next run's leftover cleanup.
import { expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { waitFor } from '../../harness'
import { cleanupLeftovers, type SshTestHost } from '../../harness/sshd.ts'

const haveSshd = ['/usr/sbin/sshd', '/usr/bin/sshd'].some((p) => existsSync(p))
const harness = join(import.meta.dir, '../../harness/sshd.ts')

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    // A killed sshd may stay a zombie for a while where PID 1 reaps slowly; that counts as gone.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}

test.skipIf(!haveSshd)('leftovers of a killed run are cleaned up by name', async () => {
  const child = Bun.spawn(
    [
      process.execPath,
      '-e',
      `import { startSshHosts } from ${JSON.stringify(harness)}
       const h = await startSshHosts(1)
       console.log(JSON.stringify({ mode: h.mode, dir: h.dir, hosts: h.hosts }))
       await Bun.sleep(60_000)`,
    ],
    { stdout: 'pipe', stderr: 'inherit' },
  )
  const reader = child.stdout.getReader()
  let text = ''
  while (!text.includes('\n')) {
    const { value, done } = await reader.read()
    if (done) break
    text += new TextDecoder().decode(value)
  }
  const info = JSON.parse(text) as { mode: string; dir: string; hosts: SshTestHost[] }
  const sshdPid = Number(await Bun.file(join(info.dir, 'sshd1.pid')).text())
  child.kill('SIGKILL')
  await child.exited
  expect(existsSync(info.dir)).toBe(true)
  expect(alive(sshdPid)).toBe(true)
  const ns = info.hosts[0]!.netns
  if (ns) expect(Bun.spawnSync(['ip', 'netns', 'list']).stdout.toString()).toContain(ns)

  cleanupLeftovers()
  expect(existsSync(info.dir)).toBe(false)
  await waitFor(() => !alive(sshdPid), { what: `sshd ${sshdPid} to exit` })
  if (ns) {
    expect(Bun.spawnSync(['ip', 'netns', 'list']).stdout.toString()).not.toContain(ns)
    expect(Bun.spawnSync(['ip', '-o', 'link', 'show']).stdout.toString()).not.toContain(ns.replaceAll('-', '').slice(0, 11))
  }
}, 20_000)
