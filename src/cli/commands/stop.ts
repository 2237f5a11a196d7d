import { stop } from '../../sdk/ops'
import { clusterCommand, gracefulArgs, validateGraceful } from './lifecycle'
import { DESCRIPTIONS } from './descriptions'

export default clusterCommand({
  name: 'stop',
  description: DESCRIPTIONS.stop,
  verb: 'Stopping',
  args: { ...gracefulArgs },
  validate: validateGraceful,
  submit: (c, n) => stop(c, n),
})
