// The protobuf descriptors @google-cloud/compute loads (protos.json: every Compute service of v1,
// v1beta and v1small, 12 MB) cut down to the services sky's GCP adapter uses and the messages and
// enums they reach. Each client parses that JSON when it is first made and again for every error
// that carries details (a quota error), so the full file costs over a second of CPU each time on a
// small machine; the cut one costs a few milliseconds. Used by ./build-cloud-sdk.ts for the
// compiled binary only (running from source keeps the library's own file).
import protobuf from 'protobufjs'

/** The services src/core/provision/cloud-sdk/gcp.ts makes clients for. */
export const COMPUTE_SERVICES = ['Instances', 'ZoneOperations', 'GlobalOperations', 'Firewalls', 'Regions', 'Subnetworks']

const PKG = 'google.cloud.compute.v1'

type Json = Record<string, unknown> & { nested?: Record<string, Json> }

/** Full names (without the leading dot) of every type a service's methods reach. */
function reachable(root: protobuf.Root, services: string[]): Set<string> {
  const keep = new Set<string>()
  const visit = (t: protobuf.ReflectionObject | null | undefined) => {
    if (!t) return
    const name = t.fullName.replace(/^\./, '')
    if (keep.has(name)) return
    keep.add(name)
    if (t instanceof protobuf.Type) {
      for (const f of t.fieldsArray) {
        f.resolve()
        visit(f.resolvedType)
      }
      for (const n of t.nestedArray) visit(n)
    }
  }
  for (const s of services) {
    const svc = root.lookupService(`${PKG}.${s}`)
    keep.add(`${PKG}.${s}`)
    for (const m of svc.methodsArray) {
      m.resolve()
      visit(m.resolvedRequestType)
      visit(m.resolvedResponseType)
    }
  }
  return keep
}

/** The pruned descriptor JSON (as text) for the given full protos.json. */
export function pruneComputeProtos(full: Json, services = COMPUTE_SERVICES): string {
  const root = protobuf.Root.fromJSON(full as protobuf.INamespace)
  const keep = reachable(root, services)
  const compute = full.nested?.google?.nested?.cloud?.nested?.compute
  const v1 = compute?.nested?.v1
  if (!compute?.nested || !v1?.nested) throw new Error(`protos.json has no ${PKG}`)
  const nested: Record<string, Json> = {}
  for (const [name, def] of Object.entries(v1.nested)) if (keep.has(`${PKG}.${name}`)) nested[name] = def
  const out = structuredClone({ ...full, nested: { ...full.nested } }) as Json
  const c = out.nested!.google!.nested!.cloud!.nested!.compute!
  c.nested = { v1: { ...v1, nested } }
  // Prove the result still resolves (a missing type throws here, at build time, not in a launch).
  const check = protobuf.Root.fromJSON(out as protobuf.INamespace)
  for (const s of services) check.lookupService(`${PKG}.${s}`).resolveAll()
  return JSON.stringify(out)
}
