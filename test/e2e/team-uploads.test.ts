// Files come from the client (the compiled binary against a deployed server with auth): a
// workdir the server cannot see (a tmpfs mounted in the client's own mount namespace) is packed,
// uploaded and synced; unchanged files are not sent again; ignore files apply; requests naming
// server paths instead of uploads are refused, as are destinations outside the node's home;
// the upload API resumes, checks content and enforces per-user limits. On a local server, a
// workdir containing SKY_HOME is synced without it and the database stays healthy.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SKY_BIN, tempHome, waitFor, type TempHome } from '../harness'
import { localSandbox, type LocalSandbox } from '../harness/sandbox'

let h: TempHome
let server: Bun.Subprocess
let base: string
const basic = (cred: string) => ({ authorization: 'Basic ' + Buffer.from(cred).toString('base64') })
const ALICE = basic('alice:alicepw')
const BOB = basic('bob:bobpw')
const endpointFor = (cred: string) => `http://${cred}@127.0.0.1:${h.port}`
let client: TempHome
const as = (cred: string, args: string[], o: { cwd?: string; skyHome?: string } = {}) => {
  const env = { ...client.env, SKYPILOT_API_SERVER_ENDPOINT: endpointFor(cred), ...(o.skyHome ? { SKY_HOME: o.skyHome } : {}) }
  const p = Bun.spawn([SKY_BIN, ...args], { cwd: o.cwd, env, stdout: 'pipe', stderr: 'pipe' })
  return Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]).then(([code, stdout, stderr]) => ({ code, stdout, stderr }))
}
let sandbox: LocalSandbox

beforeAll(async () => {
  sandbox = await localSandbox()
  h = await tempHome({ config: sandbox.config })
  client = await tempHome()
  base = h.endpoint
  server = h.spawn(['api', 'start', '--deploy', '--foreground', '--host', '127.0.0.1', '--port', String(h.port)], { env: { SKYPILOT_INITIAL_ADMIN: 'admin:adminpw' } })
  await waitFor(() => fetch(`${base}/api/health`).then((r) => r.ok, () => false), 20_000)
  for (const u of ['alice', 'bob']) expect((await as('admin:adminpw', ['users', 'create', u, '--password', `${u}pw`])).code).toBe(0)
})

afterAll(async () => {
  await as('admin:adminpw', ['down', '-a', '-u', '-y'])
  server?.kill('SIGTERM')
  await server?.exited
  await h.cleanup()
  await client.cleanup()
  await sandbox.cleanup()
})

const blobCount = (user: string) => {
  const dir = join(h.dir, 'api_server', 'uploads')
  let n = 0
  for (const u of existsSync(dir) ? readdirSync(dir) : []) {
    if (u !== user) continue
    for (const shard of readdirSync(join(dir, u, 'blobs'))) n += readdirSync(join(dir, u, 'blobs', shard)).length
  }
  return n
}

describe('workdir from the client', () => {
  test('a workdir only the client can see is uploaded and synced; unchanged, nothing is sent again', async () => {
    const aliceId = JSON.parse((await as('alice:alicepw', ['api', 'info', '-o', 'json'])).stdout).user.id as string
    // The client's directory is a tmpfs in the client's own mount namespace: the server's
    // filesystem has only an empty directory there.
    const where = mkdtempSync(join(tmpdir(), 'sky-client-only-'))
    const script = [
      `mount -t tmpfs none ${where}`,
      `cd ${where}`,
      `printf 'from the client\\n' > hello.txt`,
      `mkdir -p sub && head -c 3000000 /dev/urandom > sub/blob.bin`,
      `printf 'secret.txt\\n' > .gitignore && echo nope > secret.txt`,
      `printf 'workdir: .\\nrun: cat hello.txt; wc -c < sub/blob.bin; ls -a; pwd\\n' > task.yaml`,
      `${SKY_BIN} launch -y -c up1 --cpus 1 task.yaml`,
      `echo "== second"`,
      `${SKY_BIN} exec up1 task.yaml`,
    ].join(' && ')
    const p = Bun.spawn(['unshare', '--mount', '--propagation', 'private', 'bash', '-c', script], {
      env: { ...client.env, SKYPILOT_API_SERVER_ENDPOINT: endpointFor('alice:alicepw') },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()])
    expect(err).toContain('Uploaded 4 of 4 files')
    expect(code).toBe(0)
    expect(readdirSync(where)).toEqual([])
    const [first, second] = out.split('== second')
    for (const part of [first!, second!]) {
      expect(part).toContain('from the client')
      expect(part).toContain('3000000')
      expect(part).toContain('sky_workdir')
      expect(part).not.toContain('secret.txt')
    }
    expect(err).toMatch(/Files unchanged \(4, [\d.]+ MB\); nothing uploaded\./)
    expect(blobCount(aliceId)).toBe(5) // 4 files + the manifest
    rmSync(where, { recursive: true, force: true })
  }, 120_000)

  test('a request naming server paths instead of uploads is refused; nothing is synced', async () => {
    const post = (body: unknown) =>
      fetch(`${base}/launch`, { method: 'POST', headers: { ...ALICE, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.headers.get('x-skypilot-request-id')!)
    const final = async (id: string) =>
      waitFor(async () => {
        const r = (await (await fetch(`${base}/api/get?request_id=${id}&timeout=5`, { headers: ALICE })).json()) as { status: string; error?: { message: string } }
        return r.status === 'FAILED' || r.status === 'SUCCEEDED' ? r : undefined
      }, 60_000)
    for (const task of [`file_mounts:\n  ~/stolen.db: ${h.dir}/state.db\nrun: ls\n`, `workdir: ${h.dir}\nrun: ls\n`, `file_mounts:\n  ~/env: /proc/self/environ\nrun: ls\n`]) {
      const r = await final(await post({ task, cluster_name: 'nope1' }))
      expect(r.status).toBe('FAILED')
      expect(r.error!.message).toContain('was not uploaded; this API server syncs only files its clients upload')
    }
    // Another user's upload cannot be named either.
    const ref = readdirSync(join(h.dir, 'api_server', 'uploads')).flatMap((u) => readdirSync(join(h.dir, 'api_server', 'uploads', u, 'manifests')))[0]!
    const bob = await fetch(`${base}/launch`, {
      method: 'POST',
      headers: { ...BOB, 'content-type': 'application/json' },
      body: JSON.stringify({ task: 'workdir: /x\nrun: ls\n', cluster_name: 'nope2', uploads: { workdir: ref } }),
    })
    const bobId = bob.headers.get('x-skypilot-request-id')!
    const r = await waitFor(async () => {
      const x = (await (await fetch(`${base}/api/get?request_id=${bobId}&timeout=5`, { headers: BOB })).json()) as { status: string; error?: { message: string } }
      return x.status === 'FAILED' ? x : undefined
    }, 60_000)
    expect(r.error!.message).toContain('is not on this API server (or belongs to another user)')
    expect((await as('admin:adminpw', ['status', '-u'])).stdout).not.toContain('nope')
  }, 120_000)

  test('destinations outside the node home are refused before anything is launched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sky-dst-'))
    writeFileSync(join(dir, 'f.txt'), 'x')
    for (const [dst, why] of [
      ['~/../../etc/sky-pwned', "leaves the node's home"],
      ['../outside', "leaves the node's home"],
      ['/etc/sky-pwned', 'absolute destinations are not allowed on the local infra'],
      ['~/.sky-runtime/agent.db', 'which sky keeps for its agent'],
      ['~root/x', "another user's home"],
    ]) {
      writeFileSync(join(dir, 'task.yaml'), `file_mounts:\n  ${dst}: ./f.txt\nrun: echo hi\n`)
      const r = await as('alice:alicepw', ['launch', '-y', '-c', 'dst1', '--infra', 'local', 'task.yaml'], { cwd: dir })
      expect(r.code).not.toBe(0)
      expect(r.stderr).toContain(why)
    }
    expect(existsSync('/etc/sky-pwned')).toBe(false)
    expect((await as('alice:alicepw', ['status'])).stdout).not.toContain('dst1')
    rmSync(dir, { recursive: true, force: true })
  }, 120_000)

  test("the client's SKY_HOME inside a workdir is never packed", async () => {
    // The client's HOME holds its SKY_HOME (.sky): --workdir ~ sends everything but that.
    const home = mkdtempSync(join(tmpdir(), 'sky-client-home-'))
    const skyHome = join(home, '.sky')
    writeFileSync(join(home, 'notes.txt'), 'mine\n')
    expect((await as('alice:alicepw', ['api', 'info'], { skyHome })).code).toBe(0)
    writeFileSync(join(skyHome, 'state.db'), 'not for the server')
    const r = await as('alice:alicepw', ['launch', '-y', '-c', 'home1', '--cpus', '1', '--workdir', home, '--', 'ls -a'], { cwd: home, skyHome })
    expect(r.stderr).toContain('Uploaded 1 of 1 files')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('notes.txt')
    expect(r.stdout).not.toContain('.sky\n')
    await as('alice:alicepw', ['down', '-y', 'home1'])
    rmSync(home, { recursive: true, force: true })
  }, 120_000)
})

describe('upload API', () => {
  const put = (cred: Record<string, string>, hash: string, size: number, offset: number, body: Uint8Array<ArrayBuffer>) =>
    fetch(`${base}/upload/blobs/${hash}?size=${size}&offset=${offset}`, { method: 'PUT', headers: { ...cred, 'content-type': 'application/octet-stream' }, body })

  test('chunks resume where the part ends; content must match its hash; limits by route', async () => {
    const data = crypto.getRandomValues(new Uint8Array(100_000))
    const hash = new Bun.CryptoHasher('sha256').update(data).digest('hex')
    expect((await put(BOB, hash, data.length, 0, data.subarray(0, 40_000))).status).toBe(200)
    // An interrupted client asks where to resume.
    const miss = await (await fetch(`${base}/upload/missing`, { method: 'POST', headers: { ...BOB, 'content-type': 'application/json' }, body: JSON.stringify({ blobs: [{ h: hash, s: data.length }] }) })).json()
    expect(miss.offsets[hash]).toBe(40_000)
    const wrong = await put(BOB, hash, data.length, 10, data.subarray(10, 20))
    expect(wrong.status).toBe(409)
    expect((await wrong.json()).error.details.offset).toBe(40_000)
    const done = await (await put(BOB, hash, data.length, 40_000, data.subarray(40_000))).json()
    expect(done).toEqual({ offset: data.length, done: true })
    // alice has her own store: bob's content is not hers.
    const aliceMiss = await (await fetch(`${base}/upload/missing`, { method: 'POST', headers: { ...ALICE, 'content-type': 'application/json' }, body: JSON.stringify({ blobs: [{ h: hash, s: data.length }] }) })).json()
    expect(aliceMiss.blobs).toEqual([hash])
    // Content that does not match its hash is dropped.
    const lie = '0'.repeat(64)
    const bad = await put(BOB, lie, 5, 0, new TextEncoder().encode('hello'))
    expect(bad.status).toBe(400)
    expect((await bad.json()).error.message).toContain("the uploaded content's sha256")
    // A chunk over 8 MB is refused unread; a manifest naming content never sent is refused.
    expect((await put(BOB, hash.replace(/.$/, '0'), 20 << 20, 0, new Uint8Array(9 << 20))).status).toBe(413)
    const manifest = new TextEncoder().encode(JSON.stringify({ v: 1, root: 'dir', entries: [{ p: 'a', t: 'f', m: 420, s: 3, h: 'a'.repeat(64) }] }))
    const mh = new Bun.CryptoHasher('sha256').update(manifest).digest('hex')
    expect((await put(BOB, mh, manifest.length, 0, manifest)).status).toBe(200)
    const reg = await fetch(`${base}/upload/manifests`, { method: 'POST', headers: { ...BOB, 'content-type': 'application/json' }, body: JSON.stringify({ manifest: mh }) })
    expect(reg.status).toBe(400)
    expect((await reg.json()).error.message).toContain('that was not uploaded')
    // Paths that climb out of the upload are refused.
    const evil = new TextEncoder().encode(JSON.stringify({ v: 1, root: 'dir', entries: [{ p: '../x', t: 'd', m: 493 }] }))
    const eh = new Bun.CryptoHasher('sha256').update(evil).digest('hex')
    await put(BOB, eh, evil.length, 0, evil)
    const reg2 = await fetch(`${base}/upload/manifests`, { method: 'POST', headers: { ...BOB, 'content-type': 'application/json' }, body: JSON.stringify({ manifest: eh }) })
    expect((await reg2.json()).error.message).toContain('without empty, . or .. segments')
  })
})

describe('local server', () => {
  test('--workdir containing SKY_HOME syncs without it; the database stays healthy, also after sqlite3 opens it', async () => {
    const local = await tempHome()
    // SKY_HOME is ~/.sky, so --workdir ~ contains it.
    const skyHome = join(local.dir, '.sky')
    local.env.SKY_HOME = skyHome
    try {
      mkdirSync(join(local.dir, 'project'))
      writeFileSync(join(local.dir, 'project', 'code.py'), 'print(1)\n')
      const r = await local.sky(['launch', '-y', '-c', 'w1', '--cpus', '1', '--workdir', local.dir, '--', 'ls -a; ls project'])
      expect(r.code).toBe(0)
      expect(r.stdout).toContain('code.py')
      expect(r.stdout).not.toContain('.sky\n')
      // A file mount of the database itself is refused.
      writeFileSync(join(local.dir, 'project', 'task.yaml'), `file_mounts:\n  ~/db: ${join(skyHome, 'state.db')}\nrun: ls\n`)
      const mount = await local.sky(['launch', '-y', '-c', 'w1', join(local.dir, 'project', 'task.yaml')])
      expect(mount.code).not.toBe(0)
      expect(mount.stderr).toContain('is inside SKY_HOME')
      // Another process opening and closing the database does not break the live server.
      const check = Bun.spawnSync(['sqlite3', join(skyHome, 'state.db'), 'PRAGMA integrity_check; SELECT count(*) > 0 FROM requests;'])
      expect(check.stdout.toString().trim()).toBe('ok\n1')
      for (let i = 0; i < 3; i++) expect((await local.sky(['exec', 'w1', '--', 'echo again'])).stdout).toContain('again')
      expect((await local.sky(['status'])).stdout).toContain('w1')
      await local.sky(['down', '-y', 'w1'])
    } finally {
      await local.cleanup()
    }
  }, 120_000)
})
