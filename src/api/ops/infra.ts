// Infra: sky check, and preparing (or cleaning) SSH node pools.
import { Type as T } from '@sinclair/typebox'
import { defineOp } from '../define'
import { HostReport, InfraCheck } from '../wire'

export const check = defineOp({
  name: 'sky.check',
  route: '/check',
  tag: 'infra',
  summary: 'Which infra is usable and why not; remembered for the optimizer.',
  access: 'user',
  lane: 'short',
  idempotent: true,
  body: T.Object({ infra: T.Optional(T.Array(T.String({ minLength: 1 }))) }),
  result: T.Array(InfraCheck),
  handler: async () => (await import('../../server/ops/impl/catalog')).check,
})

const Pool = T.Object({ infra: T.Optional(T.String({ minLength: 1, description: 'One node pool (default: all)' })) })

export const sshUp = defineOp({
  name: 'sky.ssh_up',
  route: '/ssh_node_pools/deploy',
  tag: 'infra',
  summary: 'Check every host of the SSH node pools and install the sky runtime.',
  access: 'admin',
  lane: 'long',
  idempotent: true,
  body: Pool,
  result: T.Array(HostReport),
  handler: async () => (await import('../../server/ops/impl/ssh')).sshUp,
})

export const sshDown = defineOp({
  name: 'sky.ssh_down',
  route: '/ssh_node_pools/down',
  tag: 'infra',
  summary: 'Remove the sky runtime from the hosts of the SSH node pools.',
  access: 'admin',
  lane: 'long',
  idempotent: true,
  body: Pool,
  result: T.Array(HostReport),
  handler: async () => (await import('../../server/ops/impl/ssh')).sshDown,
})
