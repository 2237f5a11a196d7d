// The name provider resources carry (SkyPilot's cluster_name_on_cloud): the cluster name made safe
// for every provider (lower case, letters, digits and dashes, at most 35 characters with a short
// hash when cut) plus the first 4 characters of the owner's user hash, so two users' clusters of
// the same name never share resources. Tags put on every resource derive from it.

const MAX = 35

function shortHash(s: string): string {
  return (Bun.hash(s) % 1296n).toString(36).padStart(2, '0')
}

export function nameOnCloud(name: string, userHash: string): string {
  let base = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'sky'
  if (!/^[a-z]/.test(base)) base = `sky-${base}`
  if (base.length > MAX) base = `${base.slice(0, MAX - 3).replace(/-+$/, '')}-${shortHash(name)}`
  const user = userHash.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 4) || '0000'
  return `${base}-${user}`
}

/** Tags every provider resource of a cluster carries (AWS tags, GCP/Kubernetes labels, files). */
export function clusterTags(name: string, onCloud: string, userHash: string): Record<string, string> {
  return { 'skypilot-cluster-name': onCloud, 'skypilot-display-name': name, 'skypilot-user': userHash }
}
