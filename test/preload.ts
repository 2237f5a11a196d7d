// Loaded before every test file: a throwaway SKY_HOME and HOME, removed at exit (nothing reads or writes the
// developer's home; tests needing the account's home use accountHome()), no cloud credentials from
// the developer's environment, no colours, and no server endpoint inherited from the shell.
import { afterAll } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const homes = [mkdtempSync(join(tmpdir(), 'sky-test-home-')), mkdtempSync(join(tmpdir(), 'sky-test-user-home-'))]
process.env.SKY_HOME = homes[0]
process.env.HOME = homes[1]
// Removed after the file's last test (a global hook: bun test does not run process 'exit' listeners).
afterAll(() => homes.forEach((d) => rmSync(d, { recursive: true, force: true })))
process.env.NO_COLOR = '1'
for (const k of Object.keys(process.env)) {
  if (/^(AWS_|GOOGLE_|CLOUDSDK_|KUBECONFIG$|SKYPILOT_)/.test(k)) delete process.env[k]
}
