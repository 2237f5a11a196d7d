// LocalRunner as a sandbox user (what a deployed server uses for the local infra): commands run as
// that user with a clean environment (none of the server's variables), files land owned by it,
// and a symlink the job planted in its home never makes the server write into, or read from, a
// place the user cannot reach. Needs root (the tests create a temporary Unix user).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalRunner } from '../../../src/core/runner/local'
import { setEnv } from '../../harness'
import { canMakeUsers, makeUser, type OsUser } from '../../harness/os-user'

const can = canMakeUsers()
let u: OsUser
let root: string
let home: string
let secretDir: string

beforeAll(async () => {
  if (!can) return
  u = await makeUser()
  root = mkdtempSync(join(tmpdir(), 'sky-sandbox-'))
  chmodSync(root, 0o711)
  home = join(root, 'node-0')
  mkdirSync(home, { mode: 0o700 })
  chownSync(home, u.uid, u.gid)
  // Something only root may touch (stands for SKY_HOME).
  secretDir = mkdtempSync(join(tmpdir(), 'sky-root-only-'))
  chmodSync(secretDir, 0o700)
  writeFileSync(join(secretDir, 'state.db'), 'the server database')
})
afterAll(async () => {
  if (!can) return
  await u.cleanup()
  rmSync(root, { recursive: true, force: true })
  rmSync(secretDir, { recursive: true, force: true })
})

describe.skipIf(!can)('LocalRunner with runAs', () => {
  test('commands run as the user with a clean environment', async () => {
    const restore = setEnv({ SKYPILOT_INITIAL_ADMIN: 'admin:do-not-leak', SKYPILOT_DB_CONNECTION_URI: 'postgresql://secret@db/sky' })
    try {
      const r = new LocalRunner({ home, runAs: u, env: { TASK_VAR: 'mine' } })
      const out = await r.run('id -un; echo "home=$HOME user=$USER"; env | sort')
      expect(out.code).toBe(0)
      expect(out.stdout.split('\n')[0]).toBe(u.name)
      expect(out.stdout).toContain(`home=${home} user=${u.name}`)
      expect(out.stdout).toContain('TASK_VAR=mine')
      expect(out.stdout).not.toContain('do-not-leak')
      expect(out.stdout).not.toContain('SKYPILOT_DB_CONNECTION_URI')
      expect(out.stdout).not.toContain('SKY_HOME')
      // It cannot read what only the server may.
      const peek = await r.run(`cat ${join(secretDir, 'state.db')}`)
      expect(peek.code).not.toBe(0)
      expect(peek.stdout).not.toContain('the server database')
    } finally {
      restore()
    }
  })

  test('uploads land owned by the user; a planted symlink is replaced, never written through', async () => {
    const r = new LocalRunner({ home, runAs: u })
    const src = mkdtempSync(join(tmpdir(), 'sky-upsrc-'))
    mkdirSync(join(src, 'sub'))
    writeFileSync(join(src, 'sub', 'a.txt'), 'A')
    writeFileSync(join(src, 'state.db'), 'from the client')
    // The job planted links where the next sync writes: at a file and at a directory.
    mkdirSync(join(home, 'sky_workdir'))
    chownSync(join(home, 'sky_workdir'), u.uid, u.gid)
    await r.run(`ln -s ${join(secretDir, 'state.db')} ~/sky_workdir/state.db && ln -s ${secretDir} ~/sky_workdir/sub`)
    await r.upload(src, '~/sky_workdir')
    expect(readFileSync(join(secretDir, 'state.db'), 'utf8')).toBe('the server database')
    expect(existsSync(join(secretDir, 'a.txt'))).toBe(false)
    expect(lstatSync(join(home, 'sky_workdir', 'state.db')).isSymbolicLink()).toBe(false)
    expect(readFileSync(join(home, 'sky_workdir', 'sub', 'a.txt'), 'utf8')).toBe('A')
    expect(statSync(join(home, 'sky_workdir', 'sub', 'a.txt')).uid).toBe(u.uid)
    // A single file to a new name.
    await r.upload(join(src, 'sub', 'a.txt'), '~/data/renamed.txt')
    expect(readFileSync(join(home, 'data', 'renamed.txt'), 'utf8')).toBe('A')
    expect(statSync(join(home, 'data', 'renamed.txt')).uid).toBe(u.uid)
    // Reading back goes through the user too: a link to the server's files gives nothing.
    symlinkSync(join(secretDir, 'state.db'), join(home, 'leak'))
    await expect(r.download('~/leak', join(src, 'got'))).rejects.toThrow('Permission denied')
    rmSync(src, { recursive: true, force: true })
  })
})
