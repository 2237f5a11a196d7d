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
  /** One record per local server port, so `sky api stop` stops the server of the endpoint in use. */
  serverRecord: (port: number) => join(skyHome(), 'api_server', `server-${port}.json`),
  /** The local server's per-user secret (0600): clients present it, other Unix users cannot read it. */
  localToken: () => join(skyHome(), 'api_server', 'local.token'),
  /** Key that seals request bodies holding secrets (0600); shared by replicas through SKYPILOT_SECRETS_KEY. */
  secretsKey: () => join(skyHome(), 'api_server', 'secrets.key'),
  /** Files uploaded by clients (content-addressed blobs and manifests, per user). */
  uploadsDir: () => join(skyHome(), 'api_server', 'uploads'),
  /** Host keys of SSH nodes, recorded on first use (OpenSSH known_hosts format). */
  knownHosts: () => join(skyHome(), 'known_hosts'),
  creationLock: () => join(skyHome(), 'api_server', '.creation.lock'),
  requestLogs: () => join(skyHome(), 'api_server', 'request_logs'),
  stateDb: () => join(skyHome(), 'state.db'),
  clustersDir: () => join(skyHome(), 'clusters'),
  generatedDir: () => join(skyHome(), 'generated'),
  sshNodePools: () => join(skyHome(), 'ssh_node_pools.yaml'),
  localNodesDir: () => join(skyHome(), 'local'),
  keysDir: () => join(skyHome(), 'keys'),
}
