// sky ssh up / down: prepare (or clean) the machines of SSH node pools.
import { defineCommand } from 'citty'
import { sshDown, sshUp } from '../../../api/ops/infra'
import type { HostReport } from '../../../api/wire'
import { asyncArg } from '../../args'
import { finish } from '../../client'
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
        failIfAny(await finish(await sshUp({ infra: a.infra }), { stream: true, async: !!a.async, name: 'sky.ssh_up' }))
      },
    }),
    down: defineCommand({
      meta: { name: 'down', description: 'Remove the sky runtime from the hosts of the pools.' },
      args,
      async run({ args: a }) {
        failIfAny(await finish(await sshDown({ infra: a.infra }), { stream: true, async: !!a.async, name: 'sky.ssh_down' }))
      },
    }),
  },
})
