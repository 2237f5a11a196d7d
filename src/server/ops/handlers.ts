// Name → handler, loaded lazily so a worker that only answers `status` never loads provisioners.
import { NotFoundError } from '../../core/errors'
import type { OpHandler } from './types'

const clusters = () => import('./impl/clusters')
const jobs = () => import('./impl/jobs')
const catalog = () => import('./impl/catalog')
const managedJobs = () => import('./impl/managed-jobs')

const loaders: Record<string, () => Promise<OpHandler>> = {
  'sky.status': async () => (await import('./impl/status')).status,
  'sky.launch': async () => (await clusters()).launch,
  'sky.exec': async () => (await clusters()).exec,
  'sky.start': async () => (await clusters()).start,
  'sky.stop': async () => (await clusters()).stop,
  'sky.down': async () => (await clusters()).down,
  'sky.autostop': async () => (await clusters()).autostop,
  'sky.queue': async () => (await jobs()).queue,
  'sky.cancel': async () => (await jobs()).cancel,
  'sky.logs': async () => (await jobs()).logs,
  'sky.job_status': async () => (await jobs()).jobStatus,
  'sky.optimize': async () => (await catalog()).optimize,
  'sky.check': async () => (await catalog()).check,
  'sky.gpus': async () => (await catalog()).gpus,
  'sky.ssh_up': async () => (await import('./impl/ssh')).sshUp,
  'sky.ssh_down': async () => (await import('./impl/ssh')).sshDown,
  'sky.jobs.launch': async () => (await managedJobs()).launch,
  'sky.jobs.queue': async () => (await managedJobs()).queue,
  'sky.jobs.cancel': async () => (await managedJobs()).cancel,
  'sky.jobs.logs': async () => (await managedJobs()).logs,
}

const cache = new Map<string, OpHandler>()

export async function loadHandler(name: string): Promise<OpHandler> {
  const hit = cache.get(name)
  if (hit) return hit
  const load = loaders[name]
  if (!load) throw new NotFoundError(`No handler for request '${name}'.`)
  const h = await load()
  cache.set(name, h)
  return h
}
