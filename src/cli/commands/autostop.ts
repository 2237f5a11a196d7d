import { UsageError } from '../../core/errors'
import { autostop } from '../../api/ops/clusters'
import { parseWaitFor } from './launch'
import { clusterCommand, parseIdle } from './lifecycle'
import { DESCRIPTIONS } from './descriptions'

export default clusterCommand({
  name: 'autostop',
  description: DESCRIPTIONS.autostop,
  verb: 'Scheduling autostop for',
  args: {
    'idle-minutes': { type: 'string', alias: 'i', description: 'Idle minutes before stopping (default 5).' },
    cancel: { type: 'boolean', description: 'Cancel autostop.' },
    down: { type: 'boolean', description: 'Tear down instead of stopping.' },
    'wait-for': { type: 'string', description: 'What counts as activity: jobs_and_ssh (default), jobs, none.' },
  },
  validate: (a) => {
    if (a.cancel && a['idle-minutes'] !== undefined) throw new UsageError('Give either -i/--idle-minutes or --cancel, not both.')
    if (a.cancel && a.down) throw new UsageError('--down schedules an autodown; it cannot be combined with --cancel.')
    parseIdle(a['idle-minutes'])
    parseWaitFor(a['wait-for'])
  },
  stream: false,
  submit: (n, a) =>
    autostop({ cluster_name: n, idle_minutes: a.cancel ? -1 : (parseIdle(a['idle-minutes']) ?? 5), down: !!a.down, wait_for: parseWaitFor(a['wait-for']) }),
})
