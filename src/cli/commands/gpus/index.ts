import { defineCommand } from 'citty'
import { DESCRIPTIONS } from '../descriptions'

export default defineCommand({
  meta: { name: 'gpus', description: DESCRIPTIONS.gpus },
  subCommands: { list: () => import('./list').then((m) => m.default) },
})
