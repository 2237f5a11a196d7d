// Task semantics a SkyPilot YAML relies on: what the infra cannot do is refused before anything is
// provisioned (also by --dryrun), git workdirs are cloned on the nodes, secret references need
// their value, lifecycle hooks run.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { localNodeDir, tempHome, waitFor, type TempHome } from '../harness'

let h: TempHome
beforeAll(async () => {
  h = await tempHome()
})
afterAll(async () => {
  await h.sky(['down', '-a', '-y'])
  await h.cleanup()
})

function yaml(name: string, text: string): string {
  const f = join(h.dir, name)
  writeFileSync(f, text)
  return f
}

const noCluster = async (name: string) => expect((await h.sky(['status', name])).stdout).toContain(`Cluster '${name}' not found.`)

describe('refused before provisioning, with the reason', () => {
  test('a docker image on local infra: launch exits 3 and makes no cluster; --dryrun names why each infra cannot run it', async () => {
    const r = await h.sky(['launch', '-y', '-c', 'dk', '--infra', 'local', '--image-id', 'docker:ubuntu:22.04', '--', 'echo in-container'])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('cannot run image_id docker:ubuntu:22.04: Local runs tasks directly on the host, not in containers')
    await noCluster('dk')
    const pinned = await h.sky(['launch', '--dryrun', '--infra', 'local', '--image-id', 'docker:ubuntu:22.04', '--', 'true'])
    expect(pinned.code).toBe(3)
    // Only Kubernetes runs containers in this build (and it is not enabled here); the VMs of AWS and
    // GCP run tasks directly.
    const dry = await h.sky(['launch', '--dryrun', '--image-id', 'docker:ubuntu:22.04', '--', 'true'])
    expect(dry.code).toBe(3)
    for (const cloud of ['AWS', 'GCP']) expect(dry.stderr).toContain(`cannot run image_id docker:ubuntu:22.04: ${cloud} runs tasks directly on the host, not in containers`)
    expect(dry.stderr).toContain('kubernetes: not enabled')
  })

  test('cloud storage mounts and volumes on local infra', async () => {
    const s3 = yaml('s3.yaml', 'file_mounts:\n  /data: s3://some-bucket/path\nrun: ls /data\n')
    const r = await h.sky(['launch', '-y', '-c', 'st', '--infra', 'local', s3])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('cannot mount cloud storage (file_mounts./data: s3://some-bucket/path)')
    await noCluster('st')
    const vol = yaml('vol.yaml', 'volumes:\n  /mnt/data: my-volume\nrun: ls /mnt/data\n')
    const v = await h.sky(['launch', '-y', '-c', 'vo', vol])
    expect(v.code).toBe(3)
    expect(v.stderr).toContain('cannot mount volumes (volumes: /mnt/data)')
    await noCluster('vo')
  })

  test('an existing cluster refuses what its infra cannot run', async () => {
    expect((await h.sky(['launch', '-y', '-c', 'base', '--', 'echo up'])).code).toBe(0)
    const r = await h.sky(['exec', 'base', '--image-id', 'docker:python:3.11', '--', 'true'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("cluster 'base' (Local) cannot run image_id docker:python:3.11")
  })

  test('missing local sources fail at once, in --dryrun too, naming the field', async () => {
    const wd = yaml('wd.yaml', 'workdir: ./no-such-dir\nfile_mounts:\n  /remote/x: ./no-such-file\nrun: echo ok\n')
    for (const args of [['launch', '-y', '-c', 'wd', wd], ['launch', '--dryrun', wd]]) {
      const r = await h.sky(args, { cwd: h.dir })
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(`workdir: local path '${join(h.dir, 'no-such-dir')}' does not exist`)
      expect(r.stderr).toContain(`file_mounts./remote/x: local path '${join(h.dir, 'no-such-file')}' does not exist`)
    }
    await noCluster('wd')
  })
})

test("a task's config overrides this build ignores are reported", async () => {
  const f = yaml('taskcfg.yaml', 'config:\n  kubernetes:\n    networking: portforward\n  docker:\n    run_options: [--shm-size=2g]\nrun: echo ok\n')
  const r = await h.sky(['launch', '--dryrun', f])
  expect(r.code).toBe(0)
  expect(r.stderr).toContain('Warning: config.kubernetes.networking (in the task) is not supported by this build of sky; it is ignored.')
  expect(r.stderr).toContain('config.docker (in the task) is not supported')
})

describe('secrets', () => {
  test('a secret reference without a value is required from --secret, not dropped', async () => {
    const f = yaml('sec.yaml', 'secrets:\n  secrets:HF_TOKEN: null\nrun: test "$HF_TOKEN" = given && echo token-ok\n')
    const r = await h.sky(['exec', 'base', f])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('secrets:HF_TOKEN: is a secret stored on the API server, and this build has no secret store; set it with --secret HF_TOKEN=VALUE')
    const ok = await h.sky(['exec', 'base', f, '--secret', 'HF_TOKEN=given'])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('token-ok')
    expect(ok.stdout).not.toContain('given')
    const plain = yaml('sec2.yaml', 'secrets:\n  API_KEY:\nrun: echo ok\n')
    expect((await h.sky(['exec', 'base', plain])).stderr).toContain('secrets.API_KEY: has no value; set it with --secret API_KEY=VALUE')
  })
})

describe('git workdirs', () => {
  let repo: string
  beforeAll(() => {
    repo = join(h.dir, 'repo')
    mkdirSync(repo, { recursive: true })
    const git = (...a: string[]) => {
      const r = Bun.spawnSync(['git', '-c', 'user.name=t', '-c', 'user.email=t@e', ...a], { cwd: repo })
      if (r.exitCode !== 0) throw new Error(r.stderr.toString())
    }
    git('init', '-q', '-b', 'main')
    writeFileSync(join(repo, 'which.txt'), 'main-branch\n')
    git('add', '.')
    git('commit', '-q', '-m', 'main')
    git('checkout', '-q', '-b', 'feature')
    writeFileSync(join(repo, 'which.txt'), 'feature-branch\n')
    git('commit', '-q', '-am', 'feature')
    git('checkout', '-q', 'main')
  })

  test('workdir {url, ref} is cloned on the node; --git-url/--git-ref override it; a bad ref fails before launch', async () => {
    const f = yaml('git.yaml', `workdir:\n  url: file://${repo}\n  ref: main\nrun: cat which.txt; pwd\n`)
    const r = await h.sky(['launch', '-y', '-c', 'gitc', f])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('main-branch')
    expect(r.stdout).toContain('sky_workdir')
    const feat = await h.sky(['exec', 'gitc', '--git-url', `file://${repo}`, '--git-ref', 'feature', '--', 'cat which.txt'])
    expect(feat.code).toBe(0)
    expect(feat.stdout).toContain('feature-branch')
    const bad = await h.sky(['launch', '-y', '-c', 'gitbad', '--git-url', `file://${repo}`, '--git-ref', 'no-such-branch', '--', 'true'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("workdir.ref: 'no-such-branch' is neither a branch nor a tag")
    await noCluster('gitbad')
    const url = await h.sky(['launch', '--dryrun', '--git-url', 'not a url', '--', 'true'])
    expect(url.code).toBe(2)
    expect(url.stderr).toContain('workdir.url')
  })
})

describe('lifecycle hooks', () => {
  test('config.hooks run before sky stop and sky down, for their events', async () => {
    const f = yaml(
      'hooks.yaml',
      'config:\n  hooks:\n    - run: echo stop-hook >> $HOME/hooks.log\n      events: [stop]\n    - run: echo down-hook\n      events: [down]\nrun: echo hooked\n',
    )
    expect((await h.sky(['launch', '-y', '-c', 'hk', f])).code).toBe(0)
    const log = join(localNodeDir(h, 'hk'), 'hooks.log')
    const stop = await h.sky(['stop', 'hk', '-y'])
    expect(stop.code).toBe(0)
    expect(stop.stdout).toContain('Running lifecycle hooks (stop)')
    expect(readFileSync(log, 'utf8')).toBe('stop-hook\n')
    expect((await h.sky(['start', 'hk', '-y'])).code).toBe(0)
    const down = await h.sky(['down', 'hk', '-y'])
    expect(down.code).toBe(0)
    expect(down.stdout).toContain('down-hook')
  })

  test('autostop runs the hooks (autostop.hook and config.hooks) on the node before stopping', async () => {
    // A test home: its server gives launched clusters a 300 ms autostop minute (`testing:`).
    const h2 = await tempHome({ config: 'testing:\n  agent_minute_ms: 300\n' })
    try {
      const f = join(h2.dir, 'auto.yaml')
      writeFileSync(f, 'resources:\n  autostop:\n    idle_minutes: 1\n    hook: echo autostop-hook > $HOME/auto-hook.txt\nconfig:\n  hooks:\n    - run: echo lifecycle-stop > $HOME/life-hook.txt\n      events: [stop]\nrun: echo hi\n')
      expect((await h2.sky(['launch', '-y', '-c', 'au', f])).code).toBe(0)
      const node = localNodeDir(h2, 'au')
      await waitFor(() => existsSync(join(node, 'auto-hook.txt')) && existsSync(join(node, 'life-hook.txt')), 30_000, 100)
      expect(readFileSync(join(node, 'auto-hook.txt'), 'utf8')).toBe('autostop-hook\n')
      await waitFor(async () => /au\s.*STOPPED/.test((await h2.sky(['status', '--refresh'])).stdout), 30_000, 200)
    } finally {
      await h2.sky(['down', '-a', '-y'])
      await h2.cleanup()
    }
  })
})
