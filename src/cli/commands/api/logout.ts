// sky api logout: forget the saved endpoint and token.
import { defineCommand } from 'citty'
import { saveApiServerConfig } from '../../../core/config-write'
import { out } from '../../output'

export default defineCommand({
  meta: { name: 'logout', description: 'Forget the saved API server.' },
  args: {},
  async run() {
    saveApiServerConfig(undefined, undefined)
    out('✓ Logged out; commands now use the local API server.')
  },
})
