import { stop } from '../../sdk/ops'
import { clusterCommand } from './lifecycle'

export default clusterCommand({
  name: 'stop',
  description: 'Stop clusters (their disks are kept; sky start brings them back).',
  verb: 'Stopping',
  args: {},
  submit: (c, n) => stop(c, n),
})
