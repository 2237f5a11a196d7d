import { describe, expect, test } from 'bun:test'
import { parseDag } from '../../../src/core/task/dag-parse'
import { serviceSpecFromTask } from '../../../src/core/serve/spec'
import { issuesOf, task, yamlIssues } from '../task/helpers'

const svc = (body: string, rest = 'resources: {ports: 8080}\n') => task(`service:\n${body.replace(/^/gm, '  ')}\n${rest}run: x\n`)
const spec = (body: string, rest?: string) => serviceSpecFromTask(svc(body, rest))
const problems = (yaml: string) => yamlIssues(yaml).map((i) => `${i.path}: ${i.message}`)

describe('service spec: defaults and typed values', () => {
  test('a bare path gets SkyPilot defaults', () => {
    expect(spec('readiness_probe: /health\nreplicas: 2')).toEqual({
      readinessProbe: { path: '/health', initialDelaySeconds: 1200, timeoutSeconds: 15, intervalSeconds: 10, failureThresholdSeconds: 180 },
      replicaPolicy: { minReplicas: 2, maxReplicas: 2, numOverprovision: 0, upscaleDelaySeconds: 300, downscaleDelaySeconds: 1200, dynamicOndemandFallback: false, baseOndemandFallbackReplicas: 0 },
      loadBalancingPolicy: 'least_load',
      streamTimeoutSeconds: 120,
      port: 8080,
    })
  })

  test('every field of the full form is carried', () => {
    const s = spec(
      [
        'readiness_probe: {path: /v1/models, post_data: \'{"model": "m"}\', initial_delay_seconds: 30, timeout_seconds: 3, headers: {X-Key: abc}, endpoint_probe_interval_seconds: 2, consecutive_failure_threshold_timeout: 9}',
        'replica_policy: {min_replicas: 1, max_replicas: 4, target_qps_per_replica: {"H100:1": 10, A100: 5}, num_overprovision: 1, upscale_delay_seconds: 5, downscale_delay_seconds: 60, dynamic_ondemand_fallback: true, base_ondemand_fallback_replicas: 1, spot_placer: DYNAMIC_FALLBACK}',
        'load_balancing_policy: Instance_Aware_Least_Load',
        'load_balancer: {stream_timeout_seconds: 600}',
        'ports: 9000',
        'tls: {keyfile: k.pem, certfile: c.pem}',
        'auth: true',
      ].join('\n'),
      'resources: {use_spot: true}\n',
    )
    expect(s.readinessProbe).toEqual({ path: '/v1/models', postData: { model: 'm' }, initialDelaySeconds: 30, timeoutSeconds: 3, headers: { 'X-Key': 'abc' }, intervalSeconds: 2, failureThresholdSeconds: 9 })
    expect(s.replicaPolicy).toEqual({
      minReplicas: 1,
      maxReplicas: 4,
      targetQpsPerReplica: { 'H100:1': 10, A100: 5 },
      numOverprovision: 1,
      upscaleDelaySeconds: 5,
      downscaleDelaySeconds: 60,
      dynamicOndemandFallback: true,
      baseOndemandFallbackReplicas: 1,
      spotPlacer: 'dynamic_fallback',
    })
    expect(s).toMatchObject({ loadBalancingPolicy: 'instance_aware_least_load', streamTimeoutSeconds: 600, port: 9000, tls: { keyfile: 'k.pem', certfile: 'c.pem' }, auth: { type: 'bearer' } })
  })

  test('replica_policy without max does not autoscale', () => {
    expect(spec('replica_policy: {min_replicas: 3}').replicaPolicy).toMatchObject({ minReplicas: 3, maxReplicas: 3 })
  })
})

describe('service spec: errors name the field and the fix', () => {
  const cases: [string, string, string][] = [
    ['readiness_probe: {path: /h, initial_dealy_seconds: 5}', 'service.readiness_probe.initial_dealy_seconds', "did you mean 'initial_delay_seconds'"],
    ['readiness_probe: {path: /h, post_data: "{not json"}', 'service.readiness_probe.post_data', 'not valid JSON'],
    ['readiness_probe: {path: /h, timeout_seconds: 0}', 'service.readiness_probe.timeout_seconds', '> 0'],
    ['readiness_probe: {path: /h, headers: {"bad header": x}}', 'service.readiness_probe.headers', 'not a valid header name'],
    ['readiness_probe: {path: h}', 'service.readiness_probe.path', "starting with '/'"],
    ['replica_policy: {min_replicas: 1, max_replicas: 3}', 'service.replica_policy.target_qps_per_replica', 'is required when max_replicas (3) differs'],
    ['replica_policy: {min_replicas: 1, target_qps_per_replica: 2}', 'service.replica_policy.max_replicas', 'is required when target_qps_per_replica'],
    ['replica_policy: {min_replicas: 1, max_replicas: 2, target_qps_per_replica: 0}', 'service.replica_policy.target_qps_per_replica', '> 0'],
    ['replica_policy: {min_replicas: 1, max_replicas: 2, target_qps_per_replica: {}}', 'service.replica_policy.target_qps_per_replica', 'empty'],
    ['replica_policy: {min_replicas: 1.5}', 'service.replica_policy.min_replicas', 'whole number'],
    ['replica_policy: {min_replicas: 1, num_overprovison: 1}', 'service.replica_policy.num_overprovison', "did you mean 'num_overprovision'"],
    ['replica_policy: {min_replicas: 1, max_replicas: 2, target_qps_per_replica: 1, base_ondemand_fallback_replicas: 3}', 'service.replica_policy.base_ondemand_fallback_replicas', '<= max_replicas (2)'],
    ['replicas: 1\nload_balancing_policy: round_robbin', 'service.load_balancing_policy', "did you mean 'round_robin'"],
    ['replicas: 1\nload_balancer: {stream_timeout: 5}', 'service.load_balancer.stream_timeout', "did you mean 'stream_timeout_seconds'"],
    ['replicas: 1\nports: "8080"', 'service.ports', 'one port number'],
    ['replicas: 1\nports: 70000', 'service.ports', '1-65535'],
    ['replicas: 1\ntls: {certfile: c}', 'service.tls.keyfile', 'is required'],
    ['replicas: 1\nauth: {type: basic}', 'service.auth.type', 'must be one of bearer'],
    ['replicas: 1\nauth: yes-please', 'service.auth', '{type: bearer}'],
    ['replicas: 1\nrepliac_policy: {min_replicas: 1}', 'service.repliac_policy', "did you mean 'replica_policy'"],
  ]
  for (const [body, path, fragment] of cases) {
    test(`${path}: ${fragment}`, () => {
      const found = problems(`service:\n${body.replace(/^/gm, '  ')}\nrun: x\n`)
      expect(found.find((p) => p.startsWith(`${path}:`)) ?? found.join('\n')).toContain(fragment)
    })
  }

  test('every problem is reported at once', () => {
    const found = problems('service:\n  readiness_probe: {path: x}\n  replicas: -1\n  ports: 0\nrun: x\n')
    expect(found.map((p) => p.split(':')[0])).toEqual(['service.readiness_probe.path', 'service.replicas', 'service.ports'])
  })

  test('a service needs one replica port', () => {
    const t = parseDag('service: {readiness_probe: /}\nrun: x\n').tasks[0]!
    expect(issuesOf(() => serviceSpecFromTask(t))).toEqual([{ path: 'service.ports', message: expect.stringContaining('is required') }])
    const two = parseDag('service: {readiness_probe: /}\nresources: {ports: [8080, 9090]}\nrun: x\n').tasks[0]!
    expect(issuesOf(() => serviceSpecFromTask(two))[0]!.path).toBe('resources.ports')
    expect(spec('replicas: 1', 'resources: {ports: 9090}\n').port).toBe(9090)
  })

  test('on-demand fallback needs spot replicas', () => {
    const t = svc('replica_policy: {min_replicas: 1, dynamic_ondemand_fallback: true}')
    expect(issuesOf(() => serviceSpecFromTask(t))[0]).toMatchObject({ path: 'service.replica_policy.dynamic_ondemand_fallback', message: expect.stringContaining('use_spot: true') })
  })

  test('a task without a service section cannot be served', () => {
    expect(issuesOf(() => serviceSpecFromTask(task('run: x\n')))[0]!.path).toBe('service')
  })
})
