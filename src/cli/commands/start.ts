import { UsageError } from '../../core/errors'
import { start } from '../../sdk/ops'
import { clusterCommand, parseIdle } from './lifecycle'
import { DESCRIPTIONS } from './descriptions'

export default clusterCommand({
  name: 'start',
  description: DESCRIPTIONS.start,
  verb: 'Starting',
  args: {
    'idle-minutes-to-autostop': { type: 'string', alias: 'i', description: 'Autostop after this many idle minutes.' },
    down: { type: 'boolean', description: 'Autodown instead of autostop (needs -i).' },
    'retry-until-up': { type: 'boolean', alias: 'r', description: 'Retry until the cluster is up.' },
    force: { type: 'boolean', alias: 'f', description: 'Re-run runtime setup even if the cluster is UP.' },
  },
  validate: (a) => {
    if (a.down && a['idle-minutes-to-autostop'] === undefined) throw new UsageError('--down needs -i/--idle-minutes-to-autostop.')
    parseIdle(a['idle-minutes-to-autostop'], '--idle-minutes-to-autostop')
  },
  submit: (c, n, a) => start(c, n, { idleMinutesToAutostop: parseIdle(a['idle-minutes-to-autostop']), down: !!a.down }),
})
