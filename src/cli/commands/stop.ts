import { stop } from '../../sdk/ops'
import { clusterCommand } from './lifecycle'
import { DESCRIPTIONS } from './descriptions'

export default clusterCommand({
  name: 'stop',
  description: DESCRIPTIONS.stop,
  verb: 'Stopping',
  args: {},
  submit: (c, n) => stop(c, n),
})
