import { UsageError } from '../../core/errors'
import { start } from '../../api/ops/clusters'
import { parseWaitFor } from './launch'
import { clusterCommand, parseIdle } from './lifecycle'
import { DESCRIPTIONS } from './descriptions'

export default clusterCommand({
  name: 'start',
  description: DESCRIPTIONS.start,
  verb: 'Starting',
  defaultToOnlyCluster: true,
  args: {
    'idle-minutes-to-autostop': { type: 'string', alias: 'i', description: 'Autostop after this many idle minutes.' },
    down: { type: 'boolean', description: 'Autodown instead of autostop (needs -i).' },
    'wait-for': { type: 'string', description: 'What keeps the cluster from autostopping: jobs_and_ssh (default), jobs, none.' },
    'retry-until-up': { type: 'boolean', alias: 'r', description: 'Retry every 10 s until the cluster is up.' },
    force: { type: 'boolean', alias: 'f', description: 'Re-run runtime setup (reinstall the node agent) even if the cluster is UP.' },
  },
  validate: (a) => {
    if (a.down && a['idle-minutes-to-autostop'] === undefined) throw new UsageError('--down needs -i/--idle-minutes-to-autostop.')
    parseIdle(a['idle-minutes-to-autostop'], '--idle-minutes-to-autostop')
    parseWaitFor(a['wait-for'])
  },
  submit: (n, a) =>
    start({
      cluster_name: n,
      idle_minutes_to_autostop: parseIdle(a['idle-minutes-to-autostop']),
      down: !!a.down,
      wait_for: parseWaitFor(a['wait-for']),
      retry_until_up: !!a['retry-until-up'],
      force: !!a.force,
    }),
})
