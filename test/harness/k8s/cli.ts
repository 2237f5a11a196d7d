// Run the test Kubernetes API server by hand:
//   bun test/harness/k8s/cli.ts [--tls] [--contexts a,b] [--nodes 3] [--gpus 8 --gpu-type H100] [--network loopback]
// prints `export KUBECONFIG=...` and serves until Ctrl-C (then removes every pod and file).
import { parseArgs } from 'node:util'
import { nodeSpecs, startKubeApi } from './index'

const { values } = parseArgs({
  options: {
    tls: { type: 'boolean', default: false },
    contexts: { type: 'string', default: 'sky-test' },
    nodes: { type: 'string', default: '2' },
    gpus: { type: 'string', default: '0' },
    'gpu-type': { type: 'string', default: 'H100' },
    network: { type: 'string', default: 'auto' },
    auth: { type: 'string' },
  },
})

const gpus = Number(values.gpus)
const h = await startKubeApi({
  tls: values.tls,
  network: values.network as 'auto',
  contexts: values.contexts.split(',').map((name) => ({
    name,
    nodes: nodeSpecs(Number(values.nodes), { prefix: `${name}-node`, ...(gpus ? { gpus, gpuType: values['gpu-type'] } : {}) }),
  })),
})
const path = h.kubeconfig(values.auth ? { auth: values.auth as 'token' } : {})
console.log(`# ${h.contexts.map((c) => `${c.name} ${c.url}`).join(', ')}; pods: ${h.network}${h.networkFallbackReason ? ` (${h.networkFallbackReason})` : ''}`)
console.log(`export KUBECONFIG=${path}`)
const stop = async () => {
  await h.stop()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
