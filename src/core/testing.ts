// Settings that only tests may use: the `testing:` block of the config of a test SKY_HOME (one
// holding the marker file the test harness writes). Anywhere else the block is refused with an
// error, so a production server can never run with test timings.
//   testing:
//     agent_minute_ms: 300   # the length of one autostop "minute" on the clusters this server launches
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { configGet } from './config'
import { ValidationError } from './errors'
import { paths, skyHome } from './paths'

export const TEST_HOME_MARKER = '.sky-test-home'

export interface TestSettings {
  agent_minute_ms?: number
}

export function isTestHome(): boolean {
  return existsSync(join(skyHome(), TEST_HOME_MARKER))
}

/** The `testing:` settings, or {} when there are none; throws outside a test SKY_HOME. */
export function testSettings(): TestSettings {
  const t = configGet<TestSettings>('testing')
  if (t === undefined || t === null) return {}
  if (!isTestHome()) {
    throw new ValidationError([{ path: 'testing', message: `is honoured only in a test SKY_HOME (one holding ${TEST_HOME_MARKER}); remove it from ${paths.config()}` }])
  }
  // Types are checked with the rest of the config (src/core/config-schema.ts).
  return t
}
