// sky users role NAME ROLE
import { defineCommand } from 'citty'
import { setUserRole } from '../../../api/ops/users'
import { out } from '../../output'

export default defineCommand({
  meta: { name: 'role', description: "Set a user's role (admin or user)." },
  args: {
    name: { type: 'positional', required: true, description: 'User name.' },
    role: { type: 'positional', required: true, description: 'admin or user.' },
  },
  async run({ args }) {
    const u = await setUserRole({ name: args.name, role: args.role as 'admin' | 'user' })
    out(`✓ ${u.name} is now ${u.role}.`)
  },
})
