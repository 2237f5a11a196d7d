// `ssh <cluster>`: one OpenSSH config file per cluster under $SKY_HOME/generated/ssh, pulled into
// ~/.ssh/config by a single Include line (added once). Written for clusters on SSH machines.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { paths } from '../paths'
import type { ClusterHandle } from '../provision/legacy'
import type { SshPoolHost } from '../provision/ssh/pools'

const dir = () => join(paths.generatedDir(), 'ssh')

function hostBlock(alias: string, h: SshPoolHost): string {
  const lines = [`Host ${alias}`, `  HostName ${h.host}`, `  User ${h.user}`, `  Port ${h.port}`]
  if (h.identityFile) lines.push(`  IdentityFile ${h.identityFile}`, '  IdentitiesOnly yes')
  if (h.jump) lines.push(`  ProxyJump ${h.jump.user}@${h.jump.host}:${h.jump.port}`)
  lines.push('  StrictHostKeyChecking no', '  UserKnownHostsFile /dev/null', '  LogLevel ERROR')
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
  if (handle.cloud !== 'ssh') return
  const blocks = handle.nodes.map((n, rank) => hostBlock(rank === 0 ? name : `${name}-worker${rank}`, n.connect as SshPoolHost))
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
