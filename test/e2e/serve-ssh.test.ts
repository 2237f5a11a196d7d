// A service on an SSH node pool of real OpenSSH servers (each in its own network namespace when
// the harness can make them): two replicas, one per host, both on port 8080; the endpoint
// alternates between them; a replica killed is replaced; down frees the hosts.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempHome, waitFor, type TempHome } from '../harness'
import { get, killLeftovers, readyCount, serviceYaml, waitService } from '../harness/serve'
import { startSshHosts, type SshHosts } from '../harness/sshd'

let hosts: SshHosts
let h: TempHome

beforeAll(async () => {
  hosts = await startSshHosts(2)
  h = await tempHome()
  const list = hosts.hosts
  writeFileSync(
    join(h.dir, 'ssh_node_pools.yaml'),
    `serve-pool:\n  user: ${list[0]!.user}\n  identity_file: ${hosts.keyPath}\n  hosts:\n${list.map((x) => `    - ip: ${x.ip}\n      port: ${x.port}\n`).join('')}`,
  )
  expect((await h.sky(['check', 'ssh'])).code).toBe(0)
}, 60_000)

afterAll(async () => {
  await h?.sky(['serve', 'down', '-a', '-y'], { timeoutMs: 90_000 }).catch(() => {})
  if (h) killLeftovers(h)
  await h?.sky(['down', '-a', '-y'], { timeoutMs: 90_000 }).catch(() => {})
  await h?.cleanup()
  await hosts?.stop()
}, 120_000)

describe('sky serve on SSH hosts', () => {
  test('two replicas, one per host; round robin alternates; a killed replica is replaced; down frees the hosts', async () => {
    const r = await h.sky(['serve', 'up', '-n', 'sshsvc', '-y', serviceYaml(h, 'ssh.yaml', { infra: 'ssh/serve-pool' })], { timeoutMs: 120_000 })
    expect(r.code).toBe(0)
    const endpoint = /Endpoint URL: (\S+)/.exec(r.stdout)![1]!
    const s = await waitService(h, 'sshsvc', (x) => readyCount(x, 2), 150_000)
    // Each replica is reached at its own host's address, on the same port.
    const urls = s.replica_info.map((x) => x.endpoint!).sort()
    expect(urls).toEqual(hosts.hosts.map((x) => `http://${x.ip}:8080`).sort())
    expect(s.replica_info.every((x) => x.infra!.startsWith('ssh'))).toBe(true)
    const got: string[] = []
    for (let i = 0; i < 6; i++) {
      const res = await get(endpoint + '/')
      expect(res.status).toBe(200)
      got.push(res.body)
    }
    expect(new Set(got)).toEqual(new Set(['v1-r1', 'v1-r2']))
    for (let i = 1; i < got.length; i++) expect(got[i]).not.toBe(got[i - 1])
    // Replica 1 SIGKILLs itself while holding a request (round robin brings it one of these; the
    // request is retried on replica 2); a replacement takes the freed host.
    for (let i = 0; i < 4; i++) expect((await get(endpoint + '/crash?who=v1-r1')).body).toBe('v1-r2 survived')
    await waitService(h, 'sshsvc', (x) => readyCount(x, 2) && x.replica_info.some((y) => y.replica_id === 3 && y.status === 'READY'), 150_000)
    const down = await h.sky(['serve', 'down', 'sshsvc', '-y'], { timeoutMs: 120_000 })
    expect(down.code).toBe(0)
    expect((await get(endpoint + '/')).status).toBe(0)
    await waitFor(async () => (await h.sky(['status'])).stdout.includes('No existing clusters.'), 60_000, 300)
  }, 400_000)
})
