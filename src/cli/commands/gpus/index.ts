import { defineCommand } from 'citty'

export default defineCommand({
  meta: { name: 'gpus', description: 'GPUs offered by your infra.' },
  subCommands: { list: () => import('./list').then((m) => m.default) },
})
