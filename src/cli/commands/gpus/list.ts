// sky gpus list [ACC[:N]]: accelerators offered by the enabled infra, with counts or details.
import { defineCommand } from 'citty'
import { listAccelerators } from '../../../api/ops/catalog'
import { outputArg, outputFormat } from '../../args'
import { finish } from '../../client'
import { out, printJson } from '../../output'

export default defineCommand({
  meta: { name: 'list', description: 'List GPUs and where they can be had (ACC or ACC:N for details).' },
  args: {
    accelerator: { type: 'positional', required: false, description: 'GPU name, optionally with a count: H100 or H100:8.' },
    all: { type: 'boolean', alias: 'a', description: 'Details for every GPU.' },
    infra: { type: 'string', description: 'Only this infra: aws, gcp/us-central1, k8s, ssh/<pool>, local.' },
    'all-regions': { type: 'boolean', description: 'One row per region instead of the cheapest.' },
    ...outputArg,
  },
  async run({ args }) {
    const fmt = outputFormat(args.output)
    const r = await finish(await listAccelerators({ name: args.accelerator, infra: args.infra, all_regions: !!args['all-regions'], all: !!args.all }))
    if (fmt === 'json') printJson(r?.list)
    else out(r?.text ?? '')
  },
})
