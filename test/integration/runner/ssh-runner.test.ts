// SshRunner against real OpenSSH servers from the sshd harness (needs sshd; skipped without it).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RunnerTransportError } from '../../../src/core/runner/errors.ts'
import { SshRunner, type SshRunnerOptions } from '../../../src/core/runner/ssh.ts'
import { accountHome } from '../../harness'
import { startSshHosts, type SshHosts, type SshTestHost } from '../../harness/sshd.ts'

const haveSshd = ['/usr/sbin/sshd', '/usr/bin/sshd'].some((p) => existsSync(p)) && Bun.which('ssh-keygen') !== null
const PASSWORD = 'sky-test-pw'

let sshd: SshHosts
let local: string
const runners: SshRunner[] = []
const tag = `skyt${process.pid}x${Math.random().toString(36).slice(2, 8)}`

function target(h: SshTestHost, extra: Partial<SshRunnerOptions> = {}): SshRunnerOptions {
  return { host: h.ip, port: h.port, user: h.user, identityFile: h.keyPath, connectTimeoutMs: 5000, ...extra }
}
function runner(h: SshTestHost, extra: Partial<SshRunnerOptions> = {}): SshRunner {
  const r = new SshRunner(target(h, extra))
  runners.push(r)
  return r
}
/** A pgrep pattern that finds `s` without matching its own command line. */
function selfSafe(s: string): string {
  return `${s.slice(0, -1)}[${s.slice(-1)}]`
}
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

describe.skipIf(!haveSshd)('SshRunner', () => {
  beforeAll(async () => {
    sshd = await startSshHosts(2, { password: PASSWORD })
    console.error(`sshd harness mode: ${sshd.mode}${sshd.fallbackReason ? ` (${sshd.fallbackReason})` : ''}`)
    local = mkdtempSync(join(tmpdir(), 'sky-ssh-runner-'))
  })
  afterAll(async () => {
    await Promise.all(runners.map((r) => r.close()))
    await sshd?.stop()
    if (local) rmSync(local, { recursive: true, force: true })
  })

  test('exec: exit codes, output, env, cwd, stdin', async () => {
    const r = runner(sshd.hosts[0]!)
    expect(await r.run('echo out; echo err >&2; exit 7')).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' })
    expect((await r.run('kill -KILL $$')).code).toBe(137)
    const home = sshd.hosts[0]!.home
    mkdirSync(join(home, 'sub dir'), { recursive: true })
    const res = await r.run(`echo "$A|$B|$(pwd)|$(cat)"`, {
      env: { A: "it's", B: 'two words' },
      cwd: '~/sub dir',
      stdin: 'piped',
    })
    // Sessions see the account's home directory (whatever $HOME this test process has).
    expect(res).toEqual({ code: 0, stdout: `it's|two words|${accountHome()}/sub dir|piped\n`, stderr: '' })
    expect((await r.run('pwd', { cwd: '/tmp' })).stdout).toBe('/tmp\n')
    expect((await r.run('true', { cwd: '/does/not/exist' })).code).toBe(1)
    expect((await r.run('command -v bash')).stdout).toMatch(/bash\n$/)
  })

  test('streams UTF-8 output split across chunks', async () => {
    const r = runner(sshd.hosts[0]!)
    const out: string[] = []
    const err: string[] = []
    const res = await r.run(`printf 'caf\\xc3'; sleep 0.2; printf '\\xa9 \\xe2\\x82'; sleep 0.2; printf '\\xac\\n'; echo e >&2`, {
      onStdout: (c) => out.push(c),
      onStderr: (c) => err.push(c),
    })
    expect(res).toEqual({ code: 0, stdout: '', stderr: '' })
    expect(out.join('')).toBe('café €\n')
    expect(out.length).toBeGreaterThan(1)
    expect(err.join('')).toBe('e\n')
  })

  test('many concurrent commands share one connection', async () => {
    const r = runner(sshd.hosts[1]!)
    const results = await Promise.all(Array.from({ length: 14 }, (_, i) => r.run(`sleep 0.3; echo ${i} $SSH_CLIENT`)))
    expect(results.every((x, i) => x.code === 0 && x.stdout.startsWith(`${i} `))).toBe(true)
    const clientPorts = new Set(results.map((x) => x.stdout.trim().split(' ')[2]))
    expect(clientPorts.size).toBe(1)
  })

  test('abort kills the remote process tree', async () => {
    const r = runner(sshd.hosts[0]!)
    const mark = `${tag}-abort`
    const ac = new AbortController()
    const res = await r.run(`bash -c 'sleep 311; : ${mark}' & (sleep 312; : ${mark}) & echo started; wait`, {
      signal: ac.signal,
      onStdout: () => ac.abort(),
    })
    expect(res.code).toBe(143)
    const check = await r.run(`pgrep -f '${selfSafe(mark)}'`)
    expect(check.code).toBe(1)
  })

  test('timeout returns 124 and kills the remote tree, even when SIGTERM is ignored', async () => {
    const r = runner(sshd.hosts[0]!, { killGraceMs: 500 })
    const mark = `${tag}-timeout`
    const res = await r.run(`echo before; trap '' TERM; bash -c 'trap "" TERM; sleep 313; : ${mark}'`, { timeoutMs: 500 })
    expect(res.code).toBe(124)
    expect(res.stdout).toBe('before\n')
    expect((await r.run(`pgrep -f '${selfSafe(mark)}'`)).code).toBe(1)
  })

  test('8 MiB binary upload and download keep every byte (SHA-256 on both ends)', async () => {
    const r = runner(sshd.hosts[1]!)
    const data = randomBytes(8 * 1024 * 1024)
    const src = join(local, 'blob.bin')
    writeFileSync(src, data)
    chmodSync(src, 0o640)
    await r.upload(src, '~/deep/dir/blob.bin')
    const remote = await r.run('sha256sum ~/deep/dir/blob.bin; stat -c %a ~/deep/dir/blob.bin')
    expect(remote.stdout.split(/\s+/)[0]).toBe(sha256(data))
    expect(remote.stdout.trim().split('\n')[1]).toBe('640')
    const back = join(local, 'back/blob.bin')
    await r.download('~/deep/dir/blob.bin', back)
    expect(sha256(readFileSync(back))).toBe(sha256(data))
  }, 30_000)

  test('directory upload honours .gitignore, .git and excludes; keeps modes and links', async () => {
    const r = runner(sshd.hosts[0]!)
    const src = join(local, 'workdir')
    mkdirSync(join(src, '.git'), { recursive: true })
    mkdirSync(join(src, 'pkg/node_modules/x'), { recursive: true })
    mkdirSync(join(src, 'pkg/src'), { recursive: true })
    writeFileSync(join(src, '.git/config'), '[core]')
    writeFileSync(join(src, '.gitignore'), 'node_modules/\n*.tmp\n')
    writeFileSync(join(src, 'pkg/.gitignore'), '/dist\n')
    mkdirSync(join(src, 'pkg/dist'))
    writeFileSync(join(src, 'pkg/dist/bundle.js'), 'x')
    writeFileSync(join(src, 'pkg/node_modules/x/index.js'), 'x')
    writeFileSync(join(src, 'pkg/src/main.py'), 'print(1)')
    writeFileSync(join(src, 'pkg/src/cache.tmp'), 'x')
    writeFileSync(join(src, 'run.sh'), '#!/bin/sh\necho ok\n')
    writeFileSync(join(src, 'big.ckpt'), 'x')
    chmodSync(join(src, 'run.sh'), 0o755)
    Bun.spawnSync(['ln', '-s', 'pkg/src/main.py', join(src, 'main-link')])
    await r.upload(src, `~/sky_workdir`, { exclude: ['*.ckpt'] })
    const listing = await r.run('cd ~/sky_workdir && find . -mindepth 1 | sort && stat -c %a run.sh && readlink main-link && ./run.sh')
    expect(listing.stdout.trim().split('\n')).toEqual([
      './.gitignore',
      './main-link',
      './pkg',
      './pkg/.gitignore',
      './pkg/src',
      './pkg/src/main.py',
      './run.sh',
      '755',
      'pkg/src/main.py',
      'ok',
    ])
    // Uploading again over the existing tree works (merge).
    await r.upload(src, `~/sky_workdir`, { exclude: ['*.ckpt'] })
  })

  test('wrong key gives a clear authentication error', async () => {
    const h = sshd.hosts[0]!
    const r = runner(h, { identityFile: sshd.otherKeyPath })
    const err = await r.run('true').catch((e) => e)
    expect(err).toBeInstanceOf(RunnerTransportError)
    expect(err.reason).toBe('auth')
    expect(err.message).toBe(`root@${h.ip}:${h.port}: authentication failed (key ${sshd.otherKeyPath})`)
  })

  test('missing identity file is reported before connecting', async () => {
    const err = await runner(sshd.hosts[0]!, { identityFile: join(local, 'nope') }).run('true').catch((e) => e)
    expect(err).toBeInstanceOf(RunnerTransportError)
    expect(err.message).toContain(`identity file ${join(local, 'nope')} not found`)
  })

  test('closed port: connection refused, fast', async () => {
    const h = sshd.hosts[0]!
    const err = await runner(h, { port: 1 }).run('true').catch((e) => e)
    expect(err).toBeInstanceOf(RunnerTransportError)
    expect(err.message).toBe(`root@${h.ip}:1: connection refused`)
  })

  /** A TCP peer that accepts and never says a word: an SSH handshake to it never completes. */
  function silentPeer() {
    return Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  }

  test('a peer that never answers fails at the connect timeout', async () => {
    // Where the harness has network namespaces, an unused address; otherwise a silent peer.
    const silent = sshd.unusedIp ? undefined : silentPeer()
    const host = sshd.unusedIp ?? '127.0.0.1'
    const port = silent?.port ?? 22
    try {
      const err = await runner(sshd.hosts[0]!, { host, port, connectTimeoutMs: 1000 })
        .run('true')
        .catch((e) => e)
      expect(err).toBeInstanceOf(RunnerTransportError)
      expect(['unreachable', 'timeout']).toContain(err.reason)
      expect(err.message).toStartWith(`root@${host}:${port}: `)
    } finally {
      silent?.stop(true)
    }
  })

  test('abort while still connecting answers 143', async () => {
    const silent = silentPeer()
    try {
      const ac = new AbortController()
      // Abort once the TCP connection is made and the handshake hangs.
      const run = runner(sshd.hosts[0]!, { host: '127.0.0.1', port: silent.port, connectTimeoutMs: 60_000 }).run('true', { signal: ac.signal })
      ac.abort()
      expect((await run).code).toBe(143)
    } finally {
      silent.stop(true)
    }
  })

  test('password authentication', async () => {
    const h = sshd.hosts[1]!
    const ok = runner(h, { identityFile: undefined, password: PASSWORD })
    expect((await ok.run('whoami')).stdout).toBe('root\n')
    const bad = await runner(h, { identityFile: undefined, password: 'wrong' }).run('true').catch((e) => e)
    expect(bad).toBeInstanceOf(RunnerTransportError)
    expect(bad.message).toEndWith('authentication failed (password)')
  })

  test('jump host: B is reached through A', async () => {
    const [a, b] = [sshd.hosts[0]!, sshd.hosts[1]!]
    const r = runner(b, { jump: target(a) })
    expect(r.label).toBe(`root@${b.ip}:${b.port}`)
    const res = await r.run('echo $SSH_CLIENT')
    expect(res.code).toBe(0)
    if (sshd.mode === 'netns') expect(res.stdout.split(' ')[0]).toBe(a.ip)
    await r.upload(join(local, 'blob.bin'), '~/via-jump.bin')
    expect((await r.run('stat -c %s ~/via-jump.bin')).stdout).toBe(`${8 * 1024 * 1024}\n`)
    const bad = await runner(b, { port: 1, jump: target(a) }).run('true').catch((e) => e)
    expect(bad).toBeInstanceOf(RunnerTransportError)
    expect(bad.message).toContain(`(via root@${a.ip}:${a.port})`)
  })

  test('reconnects after the connection drops', async () => {
    const r = runner(sshd.hosts[1]!)
    expect((await r.run('echo one')).stdout).toBe('one\n')
    // Kill this connection's sshd session process (the parent of the wrapper shell).
    // The command dies with its session: the runner reports the lost connection (so it knows it is
    // closed), and the next command reconnects.
    const dropped = await r.run('kill -KILL $(ps -o ppid= -p $PPID)').catch((e) => e)
    expect(dropped).toBeInstanceOf(RunnerTransportError)
    expect((await r.run('echo two')).stdout).toBe('two\n')
  })
})
