// What a replica launches: the version's task with SKYPILOT_SERVE_REPLICA_ID set, and for a spot
// service's on-demand fallback replicas, the same resources without spot.
import { describe, expect, test } from 'bun:test'
import { replicaTask, taskUsesSpot } from '../../../src/core/serve/controller/replica-ops'

const yaml = (spot: boolean) => `envs:\n  A: b\nservice:\n  readiness_probe: /\nresources:\n  ports: 8080\n  cpus: 2\n${spot ? '  use_spot: true\n' : ''}run: serve\n`

describe('replica task', () => {
  test('SKYPILOT_SERVE_REPLICA_ID is added to the task envs', () => {
    const t = replicaTask(yaml(false), 7, false)
    expect(t.envs).toEqual({ A: 'b', SKYPILOT_SERVE_REPLICA_ID: '7' })
    expect(t.run).toBe('serve')
  })

  test('a spot service launches spot replicas, and its on-demand fallback replicas without spot', () => {
    expect(taskUsesSpot(yaml(true))).toBe(true)
    expect(taskUsesSpot(yaml(false))).toBe(false)
    expect(replicaTask(yaml(true), 1, true).resources.candidates.every((c) => c.useSpot)).toBe(true)
    expect(replicaTask(yaml(true), 2, false).resources.candidates.every((c) => !c.useSpot)).toBe(true)
    expect(replicaTask(yaml(false), 3, false).resources.candidates.every((c) => !c.useSpot)).toBe(true)
  })
})
