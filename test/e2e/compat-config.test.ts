// ~/.sky/config.yaml, ./.sky.yaml, SKYPILOT_CONFIG and --config as SkyPilot layers them: checked
// when read, applied on the server per request, and the allow-lists acting on what runs.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempHome, type TempHome } from '../harness'

let h: TempHome
beforeAll(async () => {
  h = await tempHome()
  mkdirSync(join(h.dir, '.kube'), { recursive: true })
  writeFileSync(
    join(h.dir, '.kube', 'config'),
    'apiVersion: v1\nkind: Config\ncurrent-context: dev\ncontexts:\n  - name: dev\n    context: {cluster: c1, user: u1}\n  - name: prod\n    context: {cluster: c2, user: u2}\nclusters: []\nusers: []\n',
  )
  writeFileSync(join(h.dir, 'ssh_node_pools.yaml'), 'pool-a:\n  hosts: [10.255.0.1]\npool-b:\n  hosts: [10.255.0.2]\n')
})
afterAll(async () => {
  await h.sky(['down', '-a', '-y'])
  await h.cleanup()
})

const contextsLine = (text: string) => text.split('\n').find((l) => l.includes('Contexts:'))?.trim()

describe('the config file', () => {
  test('a typo fails every command naming the file and the key, with a did-you-mean', async () => {
    h.config('alowed_clouds: [local]\nkubernetes:\n  alowed_contexts: [dev]\n')
    try {
      for (const args of [['status'], ['launch', '--dryrun', '--', 'true'], ['check']]) {
        const r = await h.sky(args)
        expect(r.code).toBe(2)
        expect(r.stderr).toContain("~/config.yaml: alowed_clouds: unknown key; did you mean 'allowed_clouds'?")
        expect(r.stderr).toContain("~/config.yaml: kubernetes.alowed_contexts: unknown key; did you mean 'allowed_contexts'?")
      }
      h.config('api_server:\n  requests_retention_hours: lots\n')
      const bad = await h.sky(['status'])
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain('api_server.requests_retention_hours: must be a number')
    } finally {
      h.config('')
    }
  })

  test("SkyPilot keys this build ignores are reported (by launch and check), not silently dropped", async () => {
    h.config('jobs:\n  controller:\n    resources: {cpus: 4}\ndocker:\n  run_options: [--shm-size=2g]\n')
    try {
      const check = await h.sky(['check', 'local'])
      expect(check.code).toBe(0)
      expect(check.stderr).toContain('Warning: ~/config.yaml: jobs.controller.resources is not supported by this build of sky; it is ignored.')
      expect(check.stderr).toContain('docker is not supported by this build')
      const dry = await h.sky(['launch', '--dryrun', '--', 'true'])
      expect(dry.code).toBe(0)
      expect(dry.stderr).toContain('jobs.controller.resources is not supported by this build')
      expect((await h.sky(['status'])).stderr).not.toContain('not supported')
    } finally {
      h.config('')
    }
  })

  test('allowed_clouds keeps launches off the infra it does not list', async () => {
    h.config('allowed_clouds: [aws, kubernetes]\n')
    try {
      const r = await h.sky(['launch', '-y', '-c', 'nope', '--infra', 'local', '--', 'true'])
      expect(r.code).toBe(3)
      expect(r.stderr).toContain('not in allowed_clouds')
      const check = await h.sky(['check'])
      expect(check.stdout).toMatch(/Local: disabled\n\s+Reason: not in allowed_clouds/)
      // Allowed, but its contexts cannot be used (the kubeconfig names clusters it does not define).
      expect(check.stdout).toMatch(/Kubernetes: disabled\n\s+Reason: no context can be used: dev: context 'dev' names cluster 'c1', which the kubeconfig does not define/)
    } finally {
      h.config('')
    }
    expect((await h.sky(['launch', '-y', '-c', 'ok', '--', 'echo ok'])).code).toBe(0)
  })

  test('SKYPILOT_CONFIG names another user config file', async () => {
    const other = join(h.dir, 'elsewhere.yaml')
    writeFileSync(other, 'kubernets: {}\n')
    const r = await h.sky(['status'], { env: { SKYPILOT_CONFIG: other } })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("~/elsewhere.yaml: kubernets: unknown key; did you mean 'kubernetes'?")
  })
})

describe('per-request layers: ./.sky.yaml and --config reach the server', () => {
  test('kubernetes.allowed_contexts from the project file applies to that project only', async () => {
    const proj = join(h.dir, 'proj')
    mkdirSync(proj, { recursive: true })
    writeFileSync(join(proj, '.sky.yaml'), 'kubernetes:\n  allowed_contexts: [prod]\n')
    const inProject = await h.sky(['check', '-v', 'kubernetes'], { cwd: proj })
    expect(inProject.code).toBe(0)
    expect(contextsLine(inProject.stdout)).toBe('Contexts: prod')
    expect(inProject.stdout).toContain('dev: skipped, not in kubernetes.allowed_contexts')
    const elsewhere = await h.sky(['check', '-v', 'kubernetes'], { cwd: h.dir })
    expect(contextsLine(elsewhere.stdout)).toBe('Contexts: dev, prod')
    rmSync(proj, { recursive: true, force: true })
  })

  test('--config KEY=VAL on any command: ssh.allowed_node_pools narrows the pools', async () => {
    const r = await h.sky(['check', '-v', 'ssh', '--config', 'ssh.allowed_node_pools=[pool-b]'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Pools: pool-b')
    expect(r.stdout).toContain('pool-a: skipped, not in ssh.allowed_node_pools')
    const file = join(h.dir, 'over.yaml')
    writeFileSync(file, 'ssh:\n  allowed_node_pools: [pool-a]\n')
    expect((await h.sky(['check', '-v', 'ssh', '--config', file])).stdout).toContain('Pools: pool-a')
    for (const args of [['status'], ['queue'], ['api', 'status'], ['gpus', 'list', 'H100']]) {
      expect((await h.sky([...args, '--config', 'kubernetes.provision_timeout=10'])).code).toBe(0)
    }
  })

  test('bad --config values fail before anything runs; server-only keys are called out', async () => {
    const typo = await h.sky(['launch', '--dryrun', '--config', 'kubernetes.allowed_contxts=[a]', '--', 'true'])
    expect(typo.code).toBe(2)
    expect(typo.stderr).toContain("--config: kubernetes.allowed_contxts: unknown key; did you mean 'allowed_contexts'?")
    expect((await h.sky(['status', '--config', 'no-equals-and-no-file'])).code).toBe(2)
    const serverOnly = await h.sky(['status', '--config', 'allowed_clouds=[aws]'])
    expect(serverOnly.code).toBe(0)
    expect(serverOnly.stderr).toContain('the API server reads allowed_clouds from its own config file')
  })
})
