// The config schema: what this build reads (typed), SkyPilot keys it ignores (reported), typos
// (did-you-mean), and `--config` values.
import { describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkConfig } from '../../../src/core/config-schema'
import { parseConfigOverride, validateLayer } from '../../../src/core/config'
import { ValidationError } from '../../../src/core/errors'
import { didYouMean } from '../../../src/core/task/issues'
import { takeConfigFlags } from '../../../src/cli/main'

describe('config schema', () => {
  test('keys this build reads pass with the right types, and fail naming the key otherwise', () => {
    const good = {
      api_server: { endpoint: 'http://10.0.0.1:46580', service_account_token: 'sky_abc', requests_retention_hours: 12, long_workers: 2 },
      allowed_clouds: ['aws', 'Kubernetes', 'local'],
      kubernetes: { allowed_contexts: ['a', 'b'] },
      ssh: { allowed_node_pools: ['p'] },
      local: { cpus: 4, memory: '16GB', gpus: 'L4:2' },
      db: 'postgresql://x@y/z',
    }
    expect(checkConfig(good)).toEqual({ issues: [], unsupported: [] })
    expect(checkConfig({ kubernetes: { allowed_contexts: 'all' } }).issues).toEqual([])
    const bad = checkConfig({ api_server: { endpoint: 'ftp://x', long_workers: 0 }, allowed_clouds: 'aws', kubernetes: { allowed_contexts: 5 } })
    expect(bad.issues.map((i) => i.path).sort()).toEqual(['allowed_clouds', 'api_server.endpoint', 'api_server.long_workers', 'kubernetes.allowed_contexts'])
    expect(bad.issues.find((i) => i.path === 'api_server.endpoint')!.message).toContain('http://')
  })

  test('typos get a did-you-mean, at the top level and inside sections', () => {
    const r = checkConfig({ alowed_clouds: ['aws'], kubernetes: { alowed_contexts: ['x'] }, api_server: { endpiont: 'http://a' } })
    expect(r.issues).toEqual([
      { path: 'alowed_clouds', message: "unknown key; did you mean 'allowed_clouds'?" },
      { path: 'kubernetes.alowed_contexts', message: "unknown key; did you mean 'allowed_contexts'?" },
      { path: 'api_server.endpiont', message: "unknown key; did you mean 'endpoint'?" },
    ])
    expect(checkConfig({ allowed_clouds: ['kuberntes'] }).issues[0]!.message).toContain("did you mean 'kubernetes'?")
    expect(checkConfig({ frobnicate: 1 }).issues[0]!.message).toContain('unknown key')
  })

  test('SkyPilot keys this build does not act on are reported, not errors', () => {
    const r = checkConfig({ jobs: { controller: { resources: { cpus: 4 } } }, docker: { run_options: ['--shm-size=2g'] }, aws: { labels: { a: 'b' }, use_ssm: true }, kubernetes: { networking: 'portforward', some_plugin_key: 1 }, api_server: { logs_retention_hours: 5 } })
    expect(r.issues).toEqual([])
    expect(r.unsupported.sort()).toEqual(['api_server.logs_retention_hours', 'aws.use_ssm', 'docker', 'jobs.controller.resources', 'kubernetes.networking', 'kubernetes.some_plugin_key'])
    expect(checkConfig({ aws: { use_internal_ips: 'yes', ssh_proxy_command: { 'us-east-1': 5 } } }).issues.map((i) => i.path)).toEqual(['aws.use_internal_ips', 'aws.ssh_proxy_command'])
    const g = checkConfig({ gcp: { labels: { team: 'ml' }, vpc_name: 'net', compute_endpoint: 'http://127.0.0.1:9/compute/v1/', enable_gvnic: true } })
    expect(g).toEqual({ issues: [], unsupported: ['gcp.enable_gvnic'] })
    expect(checkConfig({ gcp: { compute_endpoint: 'compute.googleapis.com', use_internal_ips: 1 } }).issues.map((i) => i.path)).toEqual(['gcp.compute_endpoint', 'gcp.use_internal_ips'])
  })

  test('a client cannot set the keys that run or hand out things on the server', async () => {
    const { withoutServerOnly } = await import('../../../src/core/config-schema')
    expect(withoutServerOnly<Record<string, unknown>>({ aws: { ssh_proxy_command: 'nc %h %p', remote_identity: 'LOCAL_CREDENTIALS', labels: { team: 'ml' } }, db: 'x', jobs: {} })).toEqual({ aws: { labels: { team: 'ml' } }, jobs: {} })
    // A client pointing the server's Google credentials at another endpoint, or running a proxy command there: dropped.
    expect(withoutServerOnly<Record<string, unknown>>({ gcp: { compute_endpoint: 'http://evil:80', ssh_proxy_command: 'nc %h %p', remote_identity: 'NO_UPLOAD', vpc_name: 'net' } })).toEqual({ gcp: { vpc_name: 'net' } })
  })

  test('validateLayer names the file in errors and in warnings', () => {
    expect(validateLayer({ docker: {} }, '~/.sky/config.yaml')).toEqual(['~/.sky/config.yaml: docker is not supported by this build of sky; it is ignored.'])
    try {
      validateLayer({ alowed_clouds: [] }, '~/.sky/config.yaml')
      throw new Error('expected an error')
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError)
      expect((e as Error).message).toBe("~/.sky/config.yaml: alowed_clouds: unknown key; did you mean 'allowed_clouds'?")
    }
  })

  test('did-you-mean stays quiet for words far from every candidate', () => {
    expect(didYouMean('kubernets', ['kubernetes', 'ssh'])).toBe('kubernetes')
    expect(didYouMean('zzz', ['kubernetes', 'ssh'])).toBeUndefined()
  })
})

describe('--config values', () => {
  test('KEY=VAL pairs, comma-separated, values read as YAML', () => {
    expect(parseConfigOverride('kubernetes.allowed_contexts=[a, b],api_server.requests_retention_hours=5')).toEqual({
      kubernetes: { allowed_contexts: ['a', 'b'] },
      api_server: { requests_retention_hours: 5 },
    })
    expect(parseConfigOverride('a.b=')).toEqual({ a: { b: null } })
  })

  test('a YAML file; a missing file or a bare word is an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sky-cfg-'))
    try {
      const f = join(dir, 'over.yaml')
      writeFileSync(f, 'kubernetes:\n  allowed_contexts: [x]\n')
      expect(parseConfigOverride(f)).toEqual({ kubernetes: { allowed_contexts: ['x'] } })
      expect(() => parseConfigOverride(join(dir, 'missing.yaml'))).toThrow(ValidationError)
      expect(() => parseConfigOverride('=1')).toThrow(ValidationError)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('taken from argv before the command runs, never after --', () => {
    expect(takeConfigFlags(['launch', '--config', 'a=1', '-c', 'x', '--config=b=2', '--', 'echo', '--config', 'c=3'])).toEqual({
      specs: ['a=1', 'b=2'],
      rest: ['launch', '-c', 'x', '--', 'echo', '--config', 'c=3'],
    })
  })
})
