import { UsageError } from '../../core/errors'
import { autostop } from '../../sdk/ops'
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
    parseIdle(a['idle-minutes'])
    if (a['wait-for'] !== undefined && !['jobs_and_ssh', 'jobs', 'none'].includes(String(a['wait-for']))) {
      throw new UsageError(`--wait-for: '${a['wait-for']}' must be jobs_and_ssh, jobs or none.`)
    }
  },
  stream: false,
  submit: (c, n, a) =>
    autostop(c, n, a.cancel ? -1 : (parseIdle(a['idle-minutes']) ?? 5), { down: !!a.down, waitFor: a['wait-for'] as string | undefined }),
})
