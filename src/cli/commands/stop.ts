import { stop } from '../../api/ops/clusters'
import { clusterCommand, gracefulArgs, validateGraceful } from './lifecycle'
import { DESCRIPTIONS } from './descriptions'

export default clusterCommand({
  name: 'stop',
  description: DESCRIPTIONS.stop,
  verb: 'Stopping',
  args: { ...gracefulArgs },
  validate: validateGraceful,
  submit: (n) => stop({ cluster_name: n }),
})
