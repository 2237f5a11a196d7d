// sky users password NAME [--password P]: set a password (admins: anyone's; users: their own).
import { defineCommand } from 'citty'
import { setUserPassword } from '../../../api/ops/users'
import { out } from '../../output'
import { readSecret } from './secret'

export default defineCommand({
  meta: { name: 'password', description: "Set a user's password." },
  args: {
    name: { type: 'positional', required: true, description: 'User name.' },
    password: { type: 'string', alias: 'p', description: "New password ('-' reads it from stdin)." },
  },
  async run({ args }) {
    const pw = (await readSecret(args.password, `New password for ${args.name}: `))!
    await setUserPassword({ name: args.name, password: pw })
    out(`✓ Password of ${args.name} changed.`)
  },
})
