import { down } from '../../sdk/ops'
import { clusterCommand, gracefulArgs, validateGraceful } from './lifecycle'
import { DESCRIPTIONS } from './descriptions'

export default clusterCommand({
  name: 'down',
  description: DESCRIPTIONS.down,
  verb: 'Terminating',
  args: { purge: { type: 'boolean', alias: 'p', description: 'Remove the record even if teardown fails.' }, ...gracefulArgs },
  validate: validateGraceful,
  submit: (c, n, a) => down(c, n, { purge: !!a.purge }),
})
