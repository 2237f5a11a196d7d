// sky users role NAME ROLE
import { defineCommand } from 'citty'
import { setUserRole } from '../../../sdk/users'
import { sky } from '../../client'
import { out } from '../../output'

export default defineCommand({
  meta: { name: 'role', description: "Set a user's role (admin or user)." },
  args: {
    name: { type: 'positional', required: true, description: 'User name.' },
    role: { type: 'positional', required: true, description: 'admin or user.' },
  },
  async run({ args }) {
    const u = await setUserRole(sky(), args.name, args.role)
    out(`✓ ${u.name} is now ${u.role}.`)
  },
})
