// sky show-gpus: the older name of `sky gpus list`.
import list from './gpus/list'
import { defineCommand } from 'citty'

export default defineCommand({ ...list, meta: { name: 'show-gpus', description: 'Alias of sky gpus list.', hidden: true } })
