// sky users create NAME --password P [--role admin|user]
import { defineCommand } from 'citty'
import { createUser } from '../../../api/ops/users'
import { out } from '../../output'
import { readSecret } from './secret'

export default defineCommand({
  meta: { name: 'create', description: 'Create a user (role user unless --role admin).' },
  args: {
    name: { type: 'positional', required: true, description: 'User name.' },
    password: { type: 'string', alias: 'p', description: "Password ('-' reads it from stdin; prompted when omitted on a terminal)." },
    role: { type: 'string', alias: 'r', description: 'admin or user (default user).' },
  },
  async run({ args }) {
    const password = await readSecret(args.password, `Password for ${args.name}: `, { optional: true })
    const u = await createUser({ name: args.name, password, role: args.role as 'admin' | 'user' | undefined })
    out(`✓ Created user ${u.name} (${u.id}), role ${u.role}${u.has_password ? '' : ', no password (log in with a token)'}.`)
  },
})
