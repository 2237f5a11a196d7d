// Infra name → provisioner. Only infra with a provisioner in this build can be launched on; the
// optimizer may still list others (they fail over with a clear reason).
import { ProvisionError } from '../errors'
import { localProvisioner } from '../provision/local'
import type { Provisioner } from '../provision/legacy'

const registry: Record<string, () => Promise<Provisioner>> = {
  local: async () => localProvisioner,
  ssh: async () => (await import('../provision/ssh/provisioner')).sshProvisioner,
}

export function hasProvisioner(infra: string): boolean {
  return infra in registry
}

export async function provisionerFor(infra: string): Promise<Provisioner> {
  const load = registry[infra]
  if (!load) {
    throw new ProvisionError(`Launching on ${infra} is not supported by this build of sky yet.`, {
      hint: 'Use --infra local or --infra ssh/<pool>.',
    })
  }
  return load()
}
