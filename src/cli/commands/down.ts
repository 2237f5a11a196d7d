import { down } from '../../sdk/ops'
import { clusterCommand } from './lifecycle'

export default clusterCommand({
  name: 'down',
  description: 'Tear down clusters and everything on them.',
  verb: 'Terminating',
  args: { purge: { type: 'boolean', alias: 'p', description: 'Remove the record even if teardown fails.' } },
  submit: (c, n, a) => down(c, n, { purge: !!a.purge }),
})
