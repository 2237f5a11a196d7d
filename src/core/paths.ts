// Every on-disk location, resolved when asked (never at import), rooted at SKY_HOME (default ~/.sky)
// so tests and several users of one machine can each have their own state.
import { homedir } from 'node:os'
import { join } from 'node:path'

export function skyHome(): string {
  return process.env.SKY_HOME || join(homedir(), '.sky')
}

export const paths = {
  home: () => skyHome(),
  config: () => process.env.SKYPILOT_CONFIG || join(skyHome(), 'config.yaml'),
  userHash: () => join(skyHome(), 'user_hash'),
  serverDir: () => join(skyHome(), 'api_server'),
  serverLog: () => join(skyHome(), 'api_server', 'server.log'),
  serverPidFile: () => join(skyHome(), 'api_server', 'server.json'),
  creationLock: () => join(skyHome(), 'api_server', '.creation.lock'),
  requestLogs: () => join(skyHome(), 'api_server', 'request_logs'),
  stateDb: () => join(skyHome(), 'state.db'),
  clustersDir: () => join(skyHome(), 'clusters'),
  generatedDir: () => join(skyHome(), 'generated'),
  sshNodePools: () => join(skyHome(), 'ssh_node_pools.yaml'),
  localNodesDir: () => join(skyHome(), 'local'),
  keysDir: () => join(skyHome(), 'keys'),
}
