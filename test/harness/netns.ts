// A second guard for cloud tests: run a command in a network namespace of its own that has only a
// loopback interface, so that any connect to an address a cloud test double handed out (moto's
// 54.x, a fake GCE natIP 203.0.113.x) fails at once with ENETUNREACH instead of leaving the
// machine. Everything the command needs (moto, the GCE test server, sshd hosts, sky) must be
// started inside the namespace too: its 127.0.0.1 is not the machine's. Needs root.
import { expect, test } from 'bun:test'
import { resolve } from 'node:path'

const ROOT = resolve(import.meta.dir, '../..')

export type LoopbackNetnsSupport = { ok: true } | { ok: false; reason: string }

export function loopbackNetnsSupport(): LoopbackNetnsSupport {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'a private network namespace needs root' }
  if (!Bun.which('unshare')) return { ok: false, reason: 'unshare (util-linux) is not installed' }
  if (!Bun.which('ip')) return { ok: false, reason: 'ip (iproute2) is not installed' }
  const r = Bun.spawnSync(['unshare', '--net', '--', 'ip', 'link', 'set', 'lo', 'up'], { stderr: 'pipe' })
  if (r.exitCode !== 0) return { ok: false, reason: `unshare --net failed: ${r.stderr.toString().trim()}` }
  return { ok: true }
}

/** argv that runs `argv` inside a fresh loopback-only network namespace (lo up, nothing else). */
export function inLoopbackNetns(argv: string[]): string[] {
  return ['unshare', '--net', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sky-loopback-netns', ...argv]
}

/**
 * One test that runs `file` again with `bun test` inside a fresh loopback-only network namespace
 * (with `flag=1` in its environment, so the file runs its real tests there), shows the inner
 * verdicts and passes only if they all pass.
 */
export function rerunInLoopbackNetns(file: string, flag: string, title: string, timeoutMs = 900_000): void {
  test(title, async () => {
    const p = Bun.spawn(inLoopbackNetns([process.execPath, 'test', '--timeout', '300000', file]), {
      cwd: ROOT,
      env: { ...process.env, [flag]: '1' },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [o, e, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
    const text = o + e
    // The inner run's verdicts, one line per test, shown here too.
    console.log(text.split('\n').filter((l) => /^\((pass|fail)\)|^\s*\d+ (pass|fail)/.test(l.trim())).join('\n'))
    if (code !== 0) console.log(text.slice(-20_000))
    expect(code).toBe(0)
    expect(text).toMatch(/\b0 fail/)
    expect(text).not.toMatch(/\b0 pass/)
  }, timeoutMs)
}
