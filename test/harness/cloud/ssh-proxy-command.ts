#!/usr/bin/env bun
// ProxyCommand for SSH to cloud test-peer instances:  bun ssh-proxy-command.ts <mapping dir> %h %p
// (what `aws.ssh_proxy_command` / `gcp.ssh_proxy_command` and OpenSSH's ProxyCommand run).
// Instances of moto and of the GCE test server do not run and their addresses are never dialled:
// the address (public or private IP, EC2 instance id, GCE instance name) is looked up among the
// peers' instances, the instance gets a local sshd test host of its own (kept while it exists),
// the keys it would authorize at boot are installed on that host, and stdin/stdout are joined to
// the host's sshd. Anything it does not know — or an instance that is not running — is refused:
// exit 255 with the reason on stderr.
import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { acquireLock } from '../../../src/lib/lock.ts'
import { knownInstances, type KnownInstance } from './instance-sources.ts'
import type { MappingConfig } from './ssh-map.ts'

const [dir, address, portArg] = process.argv.slice(2)
if (!dir || !address || !portArg) {
  process.stderr.write('usage: ssh-proxy-command.ts <mapping dir> <host> <port>\n')
  process.exit(2)
}
const config = JSON.parse(readFileSync(join(dir, 'map.json'), 'utf8')) as MappingConfig
const port = Number(portArg)

function log(entry: Record<string, unknown>): void {
  appendFileSync(join(dir!, 'dials.jsonl'), JSON.stringify({ at: Date.now(), address, port, ...entry }) + '\n')
}

function refuse(reason: string): never {
  log({ verdict: 'refused', reason })
  process.stderr.write(`sky test ssh proxy: refusing ${address}:${port}: ${reason}\n`)
  process.exit(255)
}

function wipe(home: string): void {
  for (const name of readdirSync(home)) rmSync(join(home, name), { recursive: true, force: true })
}

/** With a private network: the host answers on exactly this instance's private IP (async: never block). */
async function setPrivateIp(idx: number, ip: string | undefined): Promise<void> {
  const h = config.hosts[idx]!
  if (!config.privateNetwork || !h.netns || !h.iface) return
  const run = async (args: string[]) => {
    const p = Bun.spawn(['ip', '-n', h.netns!, ...args], { stdout: 'pipe', stderr: 'ignore' })
    const out = await new Response(p.stdout).text()
    await p.exited
    return out
  }
  const have = [...(await run(['-o', '-4', 'addr', 'show', 'dev', h.iface])).matchAll(/inet (\S+)\/32/g)].map((m) => m[1]!)
  for (const old of have) if (old !== ip) await run(['addr', 'del', `${old}/32`, 'dev', h.iface])
  if (ip && !have.includes(ip)) await run(['addr', 'add', `${ip}/32`, 'dev', h.iface])
}

/** The host index for `inst`, assigning a free one (or one whose instance is gone) if needed. */
async function assign(inst: KnownInstance, all: KnownInstance[]): Promise<number> {
  const release = await acquireLock(join(dir!, 'assign.lock'), 10_000)
  if (!release) refuse('timed out waiting for the host assignment lock')
  try {
    const file = join(dir!, 'assigned.json')
    const assigned = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>
    let idx = assigned[inst.key]
    if (idx === undefined) {
      const byKey = new Map(all.map((i) => [i.key, i]))
      const used = () => new Set([...Object.values(assigned), ...Object.values(config.static)])
      let free = config.hosts.map((_, i) => i).filter((i) => !used().has(i))
      if (!free.length) {
        for (const [key, i] of Object.entries(assigned)) {
          if (byKey.get(key) && !byKey.get(key)!.gone) continue
          delete assigned[key] // its instance is terminated or deleted: the host becomes a fresh machine
          const home = config.hosts[i]!.privateHome
          if (home) wipe(home)
        }
        free = config.hosts.map((_, i) => i).filter((i) => !used().has(i))
      }
      if (!free.length) refuse(`no free sshd test host for ${inst.label}: all ${config.hosts.length} are assigned to live instances (start more hosts)`)
      idx = free[0]!
      assigned[inst.key] = idx
      writeFileSync(file, JSON.stringify(assigned, null, 1))
    }
    // What cloud-init / the guest agent would do at boot: authorize the instance's keys.
    writeFileSync(config.hosts[idx]!.authorizedKeysPath, (await inst.sshKeys()).map((k) => `${k}\n`).join(''))
    await setPrivateIp(idx, inst.privateIp)
    return idx
  } finally {
    release()
  }
}

async function resolve(): Promise<{ idx: number; instance?: string }> {
  if (!config.sshPorts.includes(port)) refuse(`port ${port} is not the SSH port of a test instance (${config.sshPorts.join(', ')})`)
  const fixed = config.static[address!]
  if (fixed !== undefined) return { idx: fixed }
  let all: KnownInstance[]
  try {
    all = await knownInstances(config.sources)
  } catch (err) {
    refuse(`cannot list the cloud test peers' instances: ${(err as Error).message}`)
  }
  const matches = all.filter((i) => i.addresses.includes(address!))
  if (!matches.length) refuse('not an address of any instance of the cloud test peers (never dialled)')
  if (matches.length > 1) refuse(`ambiguous: ${matches.map((m) => m.label).join(', ')}`)
  const inst = matches[0]!
  if (!inst.up) refuse(`${inst.label} is ${inst.status}, not running`)
  return { idx: await assign(inst, all), instance: inst.key }
}

const { idx, instance } = await resolve()
const host = config.hosts[idx]!
log({ verdict: 'connected', instance, host: host.name, to: `${host.ip}:${host.port}` })
const sock = connect({ host: host.ip, port: host.port })
sock.on('error', (err) => {
  process.stderr.write(`sky test ssh proxy: ${host.name} (${host.ip}:${host.port}): ${err.message}\n`)
  process.exit(255)
})
sock.on('close', () => process.exit(0))
process.stdin.pipe(sock)
sock.pipe(process.stdout)
