// `ssh <cluster>`: one OpenSSH config file per cluster under $SKY_HOME/generated/ssh, pulled into
// ~/.ssh/config by a single Include line (added once). Written for clusters whose infra
// descriptor says how plain OpenSSH reaches their nodes (sshConfig).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { paths } from '../paths'
import { descriptor } from '../provision/registry'
import type { ClusterHandle, SshHostEntry } from '../provision/types'

const dir = () => join(paths.generatedDir(), 'ssh')

function hostBlock(e: SshHostEntry): string {
  const lines = [`Host ${e.alias}`, `  HostName ${e.hostName}`, `  User ${e.user}`, `  Port ${e.port}`]
  if (e.identityFile) lines.push(`  IdentityFile ${e.identityFile}`, '  IdentitiesOnly yes')
  if (e.proxyJump) lines.push(`  ProxyJump ${e.proxyJump}`)
  if (e.proxyCommand) lines.push(`  ProxyCommand ${e.proxyCommand}`)
  if (e.knownHostsFile) lines.push('  StrictHostKeyChecking yes', `  UserKnownHostsFile ${e.knownHostsFile}`, '  LogLevel ERROR')
  else lines.push('  StrictHostKeyChecking no', '  UserKnownHostsFile /dev/null', '  LogLevel ERROR')
  return lines.join('\n')
}

function ensureInclude(): void {
  const sshDir = join(process.env.HOME || homedir(), '.ssh')
  const cfg = join(sshDir, 'config')
  const line = `Include ${join(dir(), '*')}`
  const cur = existsSync(cfg) ? readFileSync(cfg, 'utf8') : ''
  if (cur.includes(line)) return
  mkdirSync(sshDir, { recursive: true, mode: 0o700 })
  // Include must come before any Host block to apply globally.
  writeFileSync(cfg, `# Added by sky: lets 'ssh <cluster>' reach clusters on SSH machines.\n${line}\n\n${cur}`, { mode: 0o600 })
}

export function writeSshConfig(name: string, handle: ClusterHandle): void {
  const entries = descriptor(handle.infra)?.sshConfig?.(name, handle)
  if (!entries?.length) return
  const blocks = entries.map(hostBlock)
  mkdirSync(dir(), { recursive: true })
  writeFileSync(join(dir(), name), blocks.join('\n\n') + '\n', { mode: 0o600 })
  try {
    ensureInclude()
  } catch {
    // A read-only ~/.ssh is not a reason to fail a launch; the file is still there to include.
  }
}

export function removeSshConfig(name: string): void {
  rmSync(join(dir(), name), { force: true })
}
