// Sandbox users: on a deployed server that runs jobs on its own machine (`local.allow_on_deploy`),
// every job runs as an unprivileged Unix user instead of as the server: one per sky user
// (`sky-<user id>`, made with useradd on first use; the default), or one named account
// (`local.run_as: <user>`). Their node directories live under `local.sandbox_dir` (outside
// SKY_HOME, which they cannot read) and belong to them; switching to them needs root.
import { configGet } from '../config'
import { ProvisionError, UsageError } from '../errors'

export interface SandboxUser {
  name: string
  uid: number
  gid: number
}

export interface LocalPolicy {
  /** Whether a deployed server may run jobs on its own machine at all. */
  allowOnDeploy: boolean
  /** 'per-user' or the name of one existing account. */
  runAs: string
  /** Where sandboxed node directories live. */
  sandboxDir: string
}

export function localPolicy(): LocalPolicy {
  return {
    allowOnDeploy: configGet<boolean>('local.allow_on_deploy') === true,
    runAs: configGet<string>('local.run_as') ?? 'per-user',
    sandboxDir: configGet<string>('local.sandbox_dir') ?? '/var/lib/sky-local',
  }
}

/** Whether this process is a deployed server's (its request workers get SKY_SERVER_DEPLOY=1). */
export function onDeployedServer(): boolean {
  return process.env.SKY_SERVER_DEPLOY === '1'
}

/** Why the local infra is off here, or undefined when it may run jobs. */
export function localInfraOff(): string | undefined {
  if (!onDeployedServer()) return undefined
  if (localPolicy().allowOnDeploy) return undefined
  return "a deployed API server runs no user's jobs on its own machine; an admin may allow it with local.allow_on_deploy: true in the server's config (jobs then run as sandbox users)"
}

/** Whether jobs on the local infra run as sandbox users (a deployed server that allows local). */
export function sandboxed(): boolean {
  return onDeployedServer() && localPolicy().allowOnDeploy
}

function lookup(name: string): SandboxUser | undefined {
  const r = Bun.spawnSync(['id', '-u', name], { stdout: 'pipe', stderr: 'ignore' })
  if (r.exitCode !== 0) return undefined
  const g = Bun.spawnSync(['id', '-g', name], { stdout: 'pipe', stderr: 'ignore' })
  return { name, uid: Number(r.stdout.toString().trim()), gid: Number(g.stdout.toString().trim()) }
}

/** The account name for sky user `userId` under the policy. */
export function sandboxName(userId: string, policy = localPolicy()): string {
  if (policy.runAs !== 'per-user') return policy.runAs
  return `sky-${userId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 24) || 'user'}`
}

/** The sandbox account of a sky user, made when missing (per-user policy). */
export function ensureSandboxUser(userId: string, policy = localPolicy()): SandboxUser {
  const name = sandboxName(userId, policy)
  const found = lookup(name)
  if (found) {
    if (found.uid === 0) throw new UsageError(`local.run_as: '${name}' is root; sandboxed jobs need an unprivileged account.`)
    return found
  }
  if (policy.runAs !== 'per-user') throw new UsageError(`local.run_as: there is no Unix account '${name}' on this machine.`)
  if (process.getuid?.() !== 0) {
    throw new ProvisionError(`Running jobs as sandbox users needs the API server to run as root (to create '${name}' and switch to it).`, {
      hint: 'Run the server as root, or name one existing unprivileged account in local.run_as (the server still needs root to switch to it).',
    })
  }
  const add = Bun.spawnSync(['useradd', '--system', '--user-group', '--no-create-home', '--home-dir', policy.sandboxDir, '--shell', '/usr/sbin/nologin', '--comment', `sky sandbox for user ${userId}`, name], {
    stdout: 'ignore',
    stderr: 'pipe',
  })
  const made = lookup(name)
  if (!made) throw new ProvisionError(`Could not create the sandbox user '${name}': ${add.stderr.toString().trim()}`)
  return made
}

/** argv that runs `argv` as `u` (its groups, no new privileges), with exactly `env`. */
export function asUser(u: SandboxUser, argv: string[]): string[] {
  return ['setpriv', `--reuid=${u.uid}`, `--regid=${u.gid}`, '--init-groups', '--no-new-privs', '--', ...argv]
}
