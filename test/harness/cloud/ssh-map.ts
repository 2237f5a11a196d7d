// SSH to the cloud test peers' instances: one generic "instance address → local sshd test host"
// mapping shared by AWS (moto) and GCE (the Compute test server). Tests start sshd hosts
// (test/harness/sshd.ts), create a mapping over them, and hand `proxyCommand` to whatever dials:
// `aws.ssh_proxy_command` / `gcp.ssh_proxy_command` in a sky config, OpenSSH's ProxyCommand, or
// ssh2 through a child process (see proxyArgv). The command itself is ssh-proxy-command.ts.
// The proxy asks the peers for their instances at each dial; the GCE test server lives in the test
// process, so never block that process (Bun.spawnSync of ssh, rsync or sky) while something dials.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import type { SshHosts, SshTestHost } from '../sshd.ts'
import type { InstanceSource } from './instance-sources.ts'

export interface MappingConfig {
  hosts: { name: string; ip: string; port: number; authorizedKeysPath: string; privateHome?: string; netns?: string; iface?: string }[]
  sources: InstanceSource[]
  /** address → host index, answered without any cloud look-up */
  static: Record<string, number>
  /** ports the proxy accepts (the port sky asks for; the host's real port is used) */
  sshPorts: number[]
  /** Give each host its instance's private IP (see SshMappingOptions.privateNetwork). */
  privateNetwork?: boolean
}

export interface DialRecord {
  at: number
  address: string
  port: number
  verdict: 'connected' | 'refused'
  reason?: string
  /** 'ec2:i-…' / 'gce:<id>' (absent for a static mapping) */
  instance?: string
  /** host1, host2, … */
  host?: string
}

export interface SshMappingOptions {
  hosts: SshHosts
  /** moto's own endpoint (not the fault proxy), and the regions to search (default: all). */
  ec2?: { endpoint: string; regions?: string[] }
  /** The GCE test server's endpoint and token. */
  gce?: { endpoint: string; token: string }
  /** Ports accepted in %p (default [22]). */
  sshPorts?: number[]
  /**
   * The cloud's private network (e.g. moto's default VPC, 172.31.0.0/16): each host answers on its
   * instance's private IP too, so nodes reach each other on private IPs as in a real VPC. Needs the
   * netns sshd mode (root); the address is added when an instance is assigned its host.
   */
  privateNetwork?: { cidr: string }
}

export interface SshMapping {
  /** `<bun> <script> <dir> %h %p` — SkyPilot's %h/%p placeholders, as OpenSSH's ProxyCommand has them. */
  proxyCommand: string
  /** The command for one address, as an argv (for a child process whose stdio is ssh2's socket). */
  proxyArgv(address: string, port?: number): string[]
  dir: string
  /** Answer `address` with host `index` directly (no cloud look-up). */
  mapStatic(address: string, index: number): void
  /** Instance key ('ec2:i-…', 'gce:<id>') → its host, as assigned so far. */
  assignments(): Record<string, SshTestHost>
  /** Every dial so far, in order. */
  dials(): DialRecord[]
  /** Remove the mapping's directory (the sshd hosts are stopped by their own stop()). */
  stop(): void
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** The host's link inside its namespace (the veth end; not lo). */
function hostIface(ns: string): string | undefined {
  const out = Bun.spawnSync(['ip', '-n', ns, '-o', 'link', 'show']).stdout.toString()
  return /\d+: ([^@:\s]+)[@:]/.exec(out.split('\n').filter((l) => !/: lo:/.test(l)).join('\n'))?.[1]
}
const SCRIPT = join(import.meta.dir, 'ssh-proxy-command.ts')

export function createSshMapping(opts: SshMappingOptions): SshMapping {
  const dir = mkdtempSync(join(tmpdir(), 'sky-sshmap-'))
  const realHome = userInfo().homedir
  const net = opts.privateNetwork && opts.hosts.mode === 'netns' ? opts.privateNetwork : undefined
  const config: MappingConfig = {
    hosts: opts.hosts.hosts.map((h) => ({
      name: h.name,
      ip: h.ip,
      port: h.port,
      authorizedKeysPath: h.authorizedKeysPath,
      ...(h.home !== realHome ? { privateHome: h.home } : {}),
      ...(net && h.netns ? { netns: h.netns, iface: hostIface(h.netns) } : {}),
    })),
    sources: [
      ...(opts.ec2 ? [{ kind: 'ec2' as const, ...opts.ec2 }] : []),
      ...(opts.gce ? [{ kind: 'gce' as const, ...opts.gce }] : []),
    ],
    static: {},
    sshPorts: opts.sshPorts ?? [22],
    ...(net ? { privateNetwork: true } : {}),
  }
  // Every host routes the private network onto its link; each private IP is answered by the one
  // host that has it (added by the proxy command when it assigns the host).
  if (net) for (const h of config.hosts) if (h.netns && h.iface) Bun.spawnSync(['ip', '-n', h.netns, 'route', 'replace', net.cidr, 'dev', h.iface])
  const save = () => writeFileSync(join(dir, 'map.json'), JSON.stringify(config, null, 1))
  save()
  writeFileSync(join(dir, 'assigned.json'), '{}')
  const cleanup = () => rmSync(dir, { recursive: true, force: true })
  process.on('exit', cleanup)

  const argv = (address: string, port = 22) => [process.execPath, SCRIPT, dir, address, String(port)]
  return {
    proxyCommand: `${quote(process.execPath)} ${quote(SCRIPT)} ${quote(dir)} %h %p`,
    proxyArgv: argv,
    dir,
    mapStatic(address, index) {
      if (!config.hosts[index]) throw new Error(`mapStatic: no host ${index} (have ${config.hosts.length})`)
      config.static[address] = index
      save()
    },
    assignments() {
      const assigned = JSON.parse(readFileSync(join(dir, 'assigned.json'), 'utf8')) as Record<string, number>
      return Object.fromEntries(Object.entries(assigned).map(([k, i]) => [k, opts.hosts.hosts[i]!]))
    },
    dials() {
      const file = join(dir, 'dials.jsonl')
      if (!existsSync(file)) return []
      return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as DialRecord)
    },
    stop() {
      process.off('exit', cleanup)
      cleanup()
    },
  }
}
