// Upload endpoints (src/api/ops/uploads.ts) through app.handle and the SDK functions derived from
// them: path, query and raw-body inputs validated with the field named, a blob sent in chunks and
// resumed, a manifest registered. Uploads from the CLI end to end: test/e2e/team-uploads.test.ts.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { uploadBlob, uploadManifest, uploadMissing } from '../../../src/api/ops/uploads'
import { ConflictError } from '../../../src/core/errors'
import { canonicalManifest, sha256Hex } from '../../../src/core/uploads/manifest'
import { inProcessServer, type InProcessServer } from '../../harness/app'

let app: InProcessServer
const basic = `Basic ${btoa('root:rootpass1')}`
beforeAll(async () => {
  app = await inProcessServer({ deploy: true, config: 'api_server:\n  initial_admin: root:rootpass1\n' })
})
afterAll(() => app.close())

const issues = async (res: Response) => ({ status: res.status, paths: ((await res.json()).error.details?.issues as { path: string }[] | undefined)?.map((i) => i.path) })

describe('upload endpoints', () => {
  test('path, query and body are validated, each bad field named', async () => {
    const headers = { authorization: basic, 'content-type': 'application/octet-stream' }
    expect(await issues(await app.handle(`/upload/blobs/${'z'.repeat(64)}?size=1`, { method: 'PUT', headers, body: new Uint8Array(1) }))).toEqual({ status: 400, paths: ['hash'] })
    expect(await issues(await app.handle(`/upload/blobs/${'a'.repeat(64)}`, { method: 'PUT', headers, body: new Uint8Array(1) }))).toEqual({ status: 400, paths: ['size'] })
    expect(await issues(await app.handle(`/upload/blobs/${'a'.repeat(64)}?size=x`, { method: 'PUT', headers, body: new Uint8Array(1) }))).toEqual({ status: 400, paths: ['size'] })
    expect(await issues(await app.handle('/upload/manifests', { method: 'POST', headers: { authorization: basic }, json: { manifest: 'nope' } }))).toEqual({ status: 400, paths: ['manifest'] })
    expect((await app.handle('/upload/missing', { method: 'POST', json: {} })).status).toBe(401)
  })

  test('a blob in two chunks (the second resumed where the first ended), then its manifest', async () => {
    const client = app.client({ authorization: basic })
    const data = new TextEncoder().encode('hello, uploads\n')
    const h = sha256Hex(data)
    const json = canonicalManifest({ v: 1, root: 'file', entries: [{ p: '', t: 'f', m: 0o644, s: data.length, h }] })
    const mh = sha256Hex(json)
    expect(await uploadMissing({ blobs: [{ h, s: data.length }], manifests: [mh] }, { client })).toEqual({ blobs: [h], manifests: [mh], offsets: {} })
    expect(await uploadBlob({ hash: h, size: data.length, offset: 0, bytes: data.subarray(0, 5) }, { client })).toEqual({ offset: 5, done: false })
    expect((await uploadMissing({ blobs: [{ h, s: data.length }] }, { client })).offsets).toEqual({ [h]: 5 })
    // A chunk that does not start where the part ends is refused, saying where to resume.
    const wrong = await uploadBlob({ hash: h, size: data.length, offset: 3, bytes: data.subarray(3) }, { client }).catch((e) => e)
    expect(wrong).toBeInstanceOf(ConflictError)
    expect(wrong.details.offset).toBe(5)
    expect(await uploadBlob({ hash: h, size: data.length, offset: 5, bytes: data.subarray(5) }, { client })).toEqual({ offset: data.length, done: true })
    const mbytes = new TextEncoder().encode(json)
    expect((await uploadBlob({ hash: mh, size: mbytes.length, bytes: mbytes }, { client })).done).toBe(true)
    expect(await uploadManifest({ manifest: mh }, { client })).toEqual({ manifest: mh, files: 1, bytes: data.length })
    expect(await uploadMissing({ blobs: [{ h, s: data.length }], manifests: [mh] }, { client })).toEqual({ blobs: [], manifests: [], offsets: {} })
  })
})
