// A throw-away ed25519 key pair for cloud-peer tests (what a provisioner would import into EC2 or
// put into GCE metadata). Generated once per process; removed at exit.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

let cached: { privateKeyPath: string; publicKey: string } | undefined

export function testKeyPair(): { privateKeyPath: string; publicKey: string } {
  if (cached) return cached
  const dir = mkdtempSync(join(tmpdir(), 'sky-test-key-'))
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  const privateKeyPath = join(dir, 'id_ed25519')
  const r = Bun.spawnSync(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'sky-cloud-test', '-f', privateKeyPath], { stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`ssh-keygen failed: ${r.stderr.toString()}`)
  cached = { privateKeyPath, publicKey: readFileSync(`${privateKeyPath}.pub`, 'utf8').trim() }
  return cached
}
