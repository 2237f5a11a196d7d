// sky show-gpus: the older name of `sky gpus list`.
import list from './gpus/list'
import { defineCommand } from 'citty'
import { DESCRIPTIONS } from './descriptions'

export default defineCommand({ ...list, meta: { name: 'show-gpus', description: DESCRIPTIONS['show-gpus'], hidden: true } })
