// Loaded before every test file: a throwaway SKY_HOME and HOME (nothing reads or writes the
// developer's home; tests needing the account's home use accountHome()), no cloud credentials from
// the developer's environment, no colours, and no server endpoint inherited from the shell.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

process.env.SKY_HOME = mkdtempSync(join(tmpdir(), 'sky-test-home-'))
process.env.HOME = mkdtempSync(join(tmpdir(), 'sky-test-user-home-'))
process.env.NO_COLOR = '1'
for (const k of Object.keys(process.env)) {
  if (/^(AWS_|GOOGLE_|CLOUDSDK_|KUBECONFIG$|SKYPILOT_)/.test(k)) delete process.env[k]
}
