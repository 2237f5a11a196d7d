// The cloud SDK bundle (src/core/provision/cloud-sdk/index.ts → dist/cloud-sdk.js): built on its
// own, embedded in the binary as a file, and imported by path only where a provisioner runs. The
// plugin swaps src/core/provision/cloud-sdk/load.ts for a version that does exactly that, so the
// SDKs stay out of the main bundle's module graph (and out of every CLI start-up).
import type { BunPlugin } from 'bun'

export async function buildCloudSdk(root: string): Promise<{ plugin: BunPlugin; bytes: number }> {
  const out = `${root}dist/cloud-sdk.js`
  const r = await Bun.build({
    entrypoints: [`${root}src/core/provision/cloud-sdk/index.ts`],
    target: 'bun',
    format: 'esm',
    minify: true,
    sourcemap: 'none',
  })
  if (!r.success || !r.outputs[0]) {
    for (const log of r.logs) console.error(log)
    throw new Error('building the cloud SDK bundle failed')
  }
  const text = await r.outputs[0].text()
  await Bun.write(out, text)
  const loader = [
    `import bundle from ${JSON.stringify(out)} with { type: 'file' }`,
    'let loading',
    'export function loadCloudSdk() {',
    '  loading ??= import(bundle)',
    '  loading.catch(() => (loading = undefined))',
    '  return loading',
    '}',
  ].join('\n')
  const plugin: BunPlugin = {
    name: 'sky-cloud-sdk',
    setup(build) {
      build.onLoad({ filter: /[\\/]provision[\\/]cloud-sdk[\\/]load\.ts$/ }, () => ({ contents: loader, loader: 'js' }))
    },
  }
  return { plugin, bytes: text.length }
}
