// `sky _cloud release <infra> --region R --cluster NAME --nodes N --mode stop|terminate`: run by
// the autostop hook on a cluster's head node, with the node's own cloud access (the files and
// environment ./runtime.ts wrote). It finds the cluster's instances by tag and stops or terminates
// them, exactly as the API server would; exit 0 when done, 1 with the reason on stderr.
import { toSkyError } from '../../errors'
import { provisionerFor } from '../registry'
import { bareResources } from '../handle'
import type { ClusterRef } from '../types'

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}

export function releaseRef(infra: string, region: string, nameOnCloud: string, numNodes: number, zone: string | null = null): ClusterRef {
  const resources = bareResources(infra, region, numNodes, zone)
  return { name: nameOnCloud, nameOnCloud, resources, handle: null }
}

export async function runCloudCommand(argv: string[]): Promise<number> {
  const [sub, infra, ...rest] = argv
  const region = flag(rest, 'region')
  const cluster = flag(rest, 'cluster')
  const mode = flag(rest, 'mode')
  const nodes = Number(flag(rest, 'nodes') ?? 1)
  if (sub !== 'release' || !infra || !region || !cluster || (mode !== 'stop' && mode !== 'terminate') || !(nodes > 0)) {
    process.stderr.write('usage: sky _cloud release <infra> --region R --cluster NAME_ON_CLOUD --nodes N --mode stop|terminate\n')
    return 2
  }
  const log = (l: string) => void process.stderr.write(`${l}\n`)
  try {
    const p = await provisionerFor(infra)
    const ref = releaseRef(infra, region, cluster, nodes)
    if (mode === 'stop') await p.stop(ref, { log })
    else await p.terminate(ref, { log })
    log(`${mode === 'stop' ? 'Stopped' : 'Terminated'} cluster ${cluster}.`)
    return 0
  } catch (e) {
    log(`Could not ${mode} cluster ${cluster}: ${toSkyError(e).message}`)
    return 1
  }
}
