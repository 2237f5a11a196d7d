import { down } from '../../api/ops/clusters'
import { clusterCommand, gracefulArgs, validateGraceful } from './lifecycle'
import { DESCRIPTIONS } from './descriptions'

export default clusterCommand({
  name: 'down',
  description: DESCRIPTIONS.down,
  verb: 'Terminating',
  args: { purge: { type: 'boolean', alias: 'p', description: 'Remove the record even if teardown fails.' }, ...gracefulArgs },
  validate: validateGraceful,
  submit: (n, a) => down({ cluster_name: n, purge: !!a.purge }),
})
