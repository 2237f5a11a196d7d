// The conformance suite against the local provisioner: this machine, a throwaway SKY_HOME.
import { existsSync } from 'node:fs'
import { taggedPids } from '../../src/core/agent/proc'
import { clusterDir } from '../../src/core/provision/local/allocation'
import { agentHostDir, localTag } from '../../src/core/provision/local/provisioner'
import { livePid } from '../../src/core/agent/daemon-control'
import type { LaunchedResources } from '../../src/core/provision/types'
import { baseResources, conformance } from './suite'

// Agent processes this suite starts come back through the source entry (src/lib/self-exec.ts).
const base = (numNodes: number): LaunchedResources => ({ ...baseResources('local', 'local', numNodes), cpus: 0.05, memoryGb: 0.05 })

conformance(async () => ({
  infra: 'local',
  resources: base,
  tooBig: () => ({ ...base(1), cpus: 1_000_000 }),
  async leftovers(nameOnCloud) {
    const out: string[] = []
    if (existsSync(clusterDir(nameOnCloud))) out.push(clusterDir(nameOnCloud))
    out.push(...taggedPids(localTag(nameOnCloud), 'SKY_AGENT_CLUSTER_TAG').map((p) => `pid ${p}`))
    return out
  },
  childEnv: () => ({ SKY_HOME: process.env.SKY_HOME! }),
  async cleanup() {
    // The agent host these clusters used (it would also leave by itself once idle).
    const pid = livePid(agentHostDir())
    if (pid) process.kill(pid, 'SIGTERM')
  },
}))
