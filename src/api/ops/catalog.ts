// Planning and the catalog: the optimizer's plan (dry runs, the launch prompt) and GPU listings.
import { Type as T } from '@sinclair/typebox'
import { defineOp } from '../define'
import { ClusterName, TaskYaml } from '../schemas'
import { GpusResult, OptimizeResult } from '../wire'

const impl = () => import('../../server/ops/impl/catalog')

export const optimize = defineOp({
  name: 'sky.optimize',
  route: '/optimize',
  tag: 'catalog',
  summary: "The optimizer's plan for a task, and the state of the cluster it would run on.",
  access: 'user',
  lane: 'short',
  idempotent: true,
  body: T.Object({ task: TaskYaml, cluster_name: T.Optional(ClusterName), dryrun: T.Optional(T.Boolean()) }),
  result: OptimizeResult,
  handler: async () => (await impl()).optimize,
})

export const listAccelerators = defineOp({
  name: 'sky.gpus',
  route: '/list_accelerators',
  tag: 'catalog',
  summary: 'GPUs the enabled infra offer, with counts or per-offer details.',
  access: 'user',
  lane: 'short',
  idempotent: true,
  body: T.Object({
    name: T.Optional(T.String({ description: 'GPU name or NAME:COUNT, or by memory (24GB+)' })),
    infra: T.Optional(T.String()),
    all_regions: T.Optional(T.Boolean()),
    all: T.Optional(T.Boolean()),
  }),
  result: GpusResult,
  handler: async () => (await impl()).gpus,
})
