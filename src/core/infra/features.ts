// Task features that only some infra can provide, and the one table saying which: a `docker:`
// image needs a container runtime, cloud storage mounts need a storage backend, volumes need a
// volume provider. The optimizer rejects infra that lacks a feature the task needs (with the
// reason), so `sky launch` and `--dryrun` find this before anything is provisioned, and a task
// sent to an existing cluster is refused before anything runs there.
import { ValidationError } from '../errors'
import { descriptor } from '../provision/registry'
import type { CapabilityName } from '../provision/types'
import type { Resources, Task } from '../task/types'
import { infraDisplayName, type InfraName } from './types'

export type Feature = 'docker' | 'storage' | 'volumes'

/**
 * Which declared capability of an infra (its descriptor) each feature needs: containers on
 * Kubernetes pods and cloud VMs, bucket mounts on clouds and Kubernetes, volumes on Kubernetes
 * (PVCs), as SkyPilot has them. This build's local and SSH infra run tasks directly on the host,
 * with files from local paths only.
 */
const NEEDS: Record<Feature, CapabilityName> = { docker: 'containers', storage: 'storage', volumes: 'volumes' }

function has(infra: string, f: Feature): boolean {
  return !!descriptor(infra)?.capabilities[NEEDS[f]]
}

export interface Need {
  feature: Feature
  /** The task field that asks for it, e.g. `file_mounts./data` or `resources.image_id`. */
  field: string
  /** What was asked, for messages: `docker:ubuntu:22.04`, `s3://bucket`. */
  what: string
}

export function dockerImage(r: Resources | undefined): string | undefined {
  const img = r?.imageId
  const all = typeof img === 'string' ? [img] : img ? Object.values(img) : []
  return all.find((i) => i.startsWith('docker:'))
}

/** Task-level needs (every alternative shares them): storage mounts and volumes. */
export function taskNeeds(task: Task): Need[] {
  const needs: Need[] = []
  for (const [dst, m] of Object.entries(task.fileMounts)) {
    if (m.kind === 'uri') needs.push({ feature: 'storage', field: `file_mounts.${dst}`, what: m.source })
    else if (m.kind === 'storage') {
      const src = typeof m.source === 'string' ? m.source : undefined
      needs.push({ feature: 'storage', field: `file_mounts.${dst}`, what: m.name ? `bucket '${m.name}'` : src ? `'${src}'` : 'a storage object' })
    }
  }
  if (task.volumes && Object.keys(task.volumes).length) {
    needs.push({ feature: 'volumes', field: 'volumes', what: Object.keys(task.volumes).join(', ') })
  }
  const legacy = task.resources.candidates.find((r) => Array.isArray(r.extra?.volumes) && (r.extra!.volumes as unknown[]).length)
  if (legacy) needs.push({ feature: 'volumes', field: 'resources.volumes', what: 'disk volumes' })
  return needs
}

function explain(need: Need, infra: string): string {
  const name = infraDisplayName(infra)
  switch (need.feature) {
    case 'docker':
      return `cannot run ${need.field} ${need.what}: ${name} runs tasks directly on the host, not in containers`
    case 'storage':
      return `cannot mount cloud storage (${need.field}: ${need.what}): this build syncs only local paths to ${name}`
    case 'volumes':
      return `cannot mount volumes (${need.field}: ${need.what}): volumes are Kubernetes PersistentVolumeClaims, which this build does not mount yet`
  }
}

/** Why `infra` cannot run this alternative of the task; undefined when it can. */
export function unsupportedReason(needs: Need[], infra: string, request: Resources): string | undefined {
  const all = [...needs]
  const image = dockerImage(request)
  if (image) all.push({ feature: 'docker', field: 'image_id', what: image })
  const missing = all.filter((n) => !has(infra, n.feature))
  return missing.length ? missing.map((n) => explain(n, infra)).join('; ') : undefined
}

/** The optimizer's `unsupported` test for a task. */
export function featureFilter(task: Task): (infra: InfraName, request: Resources) => string | undefined {
  const needs = taskNeeds(task)
  return (infra, request) => unsupportedReason(needs, infra, request)
}

/** For a task sent to an existing cluster (launch on it, exec): refuse what its infra cannot do. */
export function checkClusterCanRun(task: Task, request: Resources | undefined, cloud: string, cluster: string, o: { fileMounts: boolean }): void {
  const needs = o.fileMounts ? taskNeeds(task) : taskNeeds(task).filter((n) => n.feature !== 'storage')
  const why = unsupportedReason(needs, cloud, request ?? {})
  if (why) throw new ValidationError([{ path: 'task', message: `cluster '${cluster}' (${infraDisplayName(cloud)}) ${why}` }])
}
