// sky ssh up / down: prepare (or clean) the machines of SSH node pools.
import { defineCommand } from 'citty'
import type { HostReport } from '../../../core/provision/ssh/pool-setup'
import { sshDown, sshUp } from '../../../sdk/ops'
import { asyncArg } from '../../args'
import { finish, sky } from '../../client'
import { SkyError } from '../../../core/errors'
import { DESCRIPTIONS } from '../descriptions'

const args = {
  infra: { type: 'string', description: 'Only this node pool (default: every pool in ssh_node_pools.yaml).' },
  ...asyncArg,
} as const

function failIfAny(r: HostReport[] | undefined): void {
  const bad = (r ?? []).filter((x) => !x.ok)
  if (bad.length) {
    const e = new SkyError(`${bad.length} host${bad.length === 1 ? '' : 's'} failed: ${bad.map((b) => b.host).join(', ')}.`)
    e.exitCode = 1
    throw e
  }
}

export default defineCommand({
  meta: { name: 'ssh', description: DESCRIPTIONS.ssh },
  subCommands: {
    up: defineCommand({
      meta: { name: 'up', description: 'Check every host of the pools and install the sky runtime.' },
      args,
      async run({ args: a }) {
        failIfAny(await finish<HostReport[]>(await sshUp(sky(), a.infra), { stream: true, async: !!a.async, name: 'sky.ssh_up' }))
      },
    }),
    down: defineCommand({
      meta: { name: 'down', description: 'Remove the sky runtime from the hosts of the pools.' },
      args,
      async run({ args: a }) {
        failIfAny(await finish<HostReport[]>(await sshDown(sky(), a.infra), { stream: true, async: !!a.async, name: 'sky.ssh_down' }))
      },
    }),
  },
})
