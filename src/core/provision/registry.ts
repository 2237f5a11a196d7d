// Every infra this build knows, in `sky check` order. Adding an infra is one folder under
// src/core/provision/<name>/ (a descriptor, and a provisioner that passes test/conformance/) plus
// one line here. Descriptors are static and SDK-free: the CLI may import this module.
import { aws } from './aws/descriptor'
import { gcp } from './gcp/descriptor'
import { kubernetes } from './kubernetes/descriptor'
import { local } from './local/descriptor'
import { ssh } from './ssh/descriptor'
import { UnsupportedError } from './errors'
import type { InfraDescriptor, Provisioner } from './types'

export const INFRA: readonly InfraDescriptor[] = [local, ssh, kubernetes, aws, gcp]

const byName = new Map<string, InfraDescriptor>()
for (const d of INFRA) {
  byName.set(d.name, d)
  for (const a of d.aliases ?? []) byName.set(a, d)
}

/** The descriptor for a name or alias (case-insensitive); undefined when unknown. */
export function descriptor(name: string | null | undefined): InfraDescriptor | undefined {
  return name ? byName.get(name.trim().toLowerCase()) : undefined
}

/** Whether this build can launch on the infra. */
export function hasProvisioner(name: string): boolean {
  return !!descriptor(name)?.load
}

const loaded = new Map<string, Promise<Provisioner>>()

/** The infra's provisioner (server side only); UnsupportedError when this build has none. */
export function provisionerFor(name: string): Promise<Provisioner> {
  const d = descriptor(name)
  if (!d?.load) {
    const shown = d?.displayName ?? name
    return Promise.reject(
      new UnsupportedError(`Launching on ${shown} is not supported by this build of sky.`, { infra: d?.name ?? name, hint: 'See what is enabled with: sky check' }),
    )
  }
  let p = loaded.get(d.name)
  if (!p) {
    p = d.load()
    p.catch(() => loaded.delete(d.name))
    loaded.set(d.name, p)
  }
  return p
}
