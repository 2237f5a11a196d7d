// The cloud SDK bundles, one per cloud (an AWS-only server never loads Google's library):
//   src/core/provision/cloud-sdk/index.ts → dist/cloud-sdk.js      (AWS; loaded by ./load.ts)
//   src/core/provision/cloud-sdk/gcp.ts   → dist/cloud-sdk-gcp.js  (GCP; loaded by ./load-gcp.ts)
// Each is built on its own, embedded in the binary as a file, and imported by path only where a
// provisioner runs. The plugin swaps each loader for a version that does exactly that, so the SDKs
// stay out of the main bundle's module graph (and out of every CLI start-up). The GCP bundle gets
// a cut-down protos.json (./gcp-protos.ts).
import type { BunPlugin } from 'bun'
import { pruneComputeProtos } from './gcp-protos'

interface SdkBundle {
  entry: string
  out: string
  /** The loader module the plugin replaces, and the function it exports. */
  loader: RegExp
  fn: string
  /** Keep identifiers (and so class names): Google's libraries test `value.constructor.name === 'Long'`. */
  keepIdentifiers?: boolean
}

const BUNDLES: SdkBundle[] = [
  { entry: 'src/core/provision/cloud-sdk/index.ts', out: 'dist/cloud-sdk.js', loader: /[\\/]provision[\\/]cloud-sdk[\\/]load\.ts$/, fn: 'loadCloudSdk' },
  { entry: 'src/core/provision/cloud-sdk/gcp.ts', out: 'dist/cloud-sdk-gcp.js', loader: /[\\/]provision[\\/]cloud-sdk[\\/]load-gcp\.ts$/, fn: 'loadGcpSdk', keepIdentifiers: true },
]

const COMPUTE_PROTOS = /[\\/]@google-cloud[\\/]compute[\\/]build[\\/]protos[\\/]protos\.json$/

/** Serves the cut-down Compute descriptors to the bundler in place of the library's 12 MB file. */
const computeProtos: BunPlugin = {
  name: 'sky-compute-protos',
  setup(build) {
    build.onLoad({ filter: COMPUTE_PROTOS }, async (args) => ({ contents: pruneComputeProtos(await Bun.file(args.path).json()), loader: 'json' }))
  },
}

export async function buildCloudSdk(root: string): Promise<{ plugin: BunPlugin; bytes: number }> {
  let bytes = 0
  const loaders: { re: RegExp; contents: string }[] = []
  for (const b of BUNDLES) {
    const out = `${root}${b.out}`
    const r = await Bun.build({ entrypoints: [`${root}${b.entry}`], target: 'bun', format: 'esm', minify: b.keepIdentifiers ? { whitespace: true, syntax: true, identifiers: false } : true, sourcemap: 'none', plugins: [computeProtos] })
    if (!r.success || !r.outputs[0]) {
      for (const log of r.logs) console.error(log)
      throw new Error(`building the cloud SDK bundle ${b.out} failed`)
    }
    const text = await r.outputs[0].text()
    await Bun.write(out, text)
    bytes += text.length
    const contents = [
      `import bundle from ${JSON.stringify(out)} with { type: 'file' }`,
      'let loading',
      `export function ${b.fn}() {`,
      '  loading ??= import(bundle)',
      '  loading.catch(() => (loading = undefined))',
      '  return loading',
      '}',
    ].join('\n')
    loaders.push({ re: b.loader, contents })
  }
  const plugin: BunPlugin = {
    name: 'sky-cloud-sdk',
    setup(build) {
      for (const l of loaders) build.onLoad({ filter: l.re }, () => ({ contents: l.contents, loader: 'js' }))
    },
  }
  return { plugin, bytes }
}
