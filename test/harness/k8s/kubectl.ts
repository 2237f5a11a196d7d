// Real kubectl builds for the tests: Debian's kubernetes-client 1.20.2 (extracted into
// .cache/kubectl-1.20.2 by scripts/fetch-kubectl.sh, since /usr/bin/kubectl may be another
// package's dispatcher) and the builds at /usr/lib/google-cloud-sdk/bin/kubectl.1.NN. Each run
// pins one binary and gets its own --cache-dir.
import { existsSync, mkdtempSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

export interface KubectlBinary {
  /** "1.20", "1.27", ... */
  version: string
  path: string
  /** How this build runs exec by default (kubectl ≤ 1.29 SPDY, ≥ 1.30 WebSocket). */
  exec: 'spdy' | 'websocket'
}

const ROOT = resolve(import.meta.dir, '../../..')
export const DEBIAN_KUBECTL = process.env.SKY_TEST_KUBECTL_120 ?? join(ROOT, '.cache/kubectl-1.20.2/usr/bin/kubectl')
const GCLOUD_BIN = '/usr/lib/google-cloud-sdk/bin'
const GCLOUD_VERSIONS = ['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33']

export interface KubectlInventory {
  found: KubectlBinary[]
  /** What is missing and how to get it. */
  missing: string[]
}

export function kubectlBinaries(): KubectlInventory {
  const found: KubectlBinary[] = []
  const missing: string[] = []
  if (existsSync(DEBIAN_KUBECTL)) found.push({ version: '1.20', path: DEBIAN_KUBECTL, exec: 'spdy' })
  else missing.push(`kubectl 1.20.2 (Debian kubernetes-client) at ${DEBIAN_KUBECTL}: run scripts/fetch-kubectl.sh`)
  for (const v of GCLOUD_VERSIONS) {
    const path = join(GCLOUD_BIN, `kubectl.${v}`)
    if (existsSync(path)) found.push({ version: v, path, exec: Number(v.split('.')[1]) >= 30 ? 'websocket' : 'spdy' })
    else missing.push(`kubectl ${v} at ${path} (Google Cloud SDK's kubectl builds; not on this machine)`)
  }
  return { found, missing }
}

export interface KubectlResult {
  code: number
  stdout: string
  stderr: string
}

export interface Kubectl {
  bin: KubectlBinary
  /** This kubectl's own --cache-dir (and HOME), made beside the kubeconfig (removed with its directory). */
  cacheDir: string
  run(args: string[], o?: { stdin?: string | Uint8Array; env?: Record<string, string>; timeoutMs?: number; cwd?: string }): Promise<KubectlResult>
}

/** A kubectl bound to one binary, one kubeconfig and its own cache dir. */
export function kubectl(bin: KubectlBinary, kubeconfig: string, baseEnv: Record<string, string> = {}): Kubectl {
  // Beside the kubeconfig: the test server's directory (or the test's own), removed with it.
  const cacheDir = mkdtempSync(join(dirname(kubeconfig), `kubectl-${bin.version}-cache-`))
  return {
    bin,
    cacheDir,
    async run(args, o = {}) {
      const p = Bun.spawn([bin.path, '--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], {
        cwd: o.cwd,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cacheDir, ...baseEnv, ...o.env },
        stdin: o.stdin === undefined ? 'ignore' : typeof o.stdin === 'string' ? Buffer.from(o.stdin) : o.stdin,
        stdout: 'pipe',
        stderr: 'pipe',
      })
      const timer = setTimeout(() => p.kill('SIGKILL'), o.timeoutMs ?? 30_000)
      const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
      clearTimeout(timer)
      return { code, stdout, stderr }
    },
  }
}
