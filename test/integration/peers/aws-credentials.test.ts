// How sky finds AWS credentials and the endpoint, as the AWS CLI does, proven against moto through
// the same SDK chain a launch uses: keys in the environment, a named profile of the shared
// credentials file picked with AWS_PROFILE, and a role profile (role_arn + source_profile) whose
// AssumeRole call goes to AWS_ENDPOINT_URL too — nothing reaches a real AWS endpoint.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkAws } from '../../../src/core/provision/aws/check'
import { startAwsPeer, type AwsPeer } from '../../harness/aws/peer'
import { setEnv } from '../../harness/cloud/env'

let peer: AwsPeer
let home: string
let restore = () => {}

beforeAll(async () => {
  peer = await startAwsPeer()
  home = mkdtempSync(join(tmpdir(), 'sky-aws-creds-'))
}, 60_000)
afterAll(async () => {
  restore()
  await peer?.stop()
  rmSync(home, { recursive: true, force: true })
}, 60_000)

/** Run `sky check aws` logic with exactly these variables (plus the endpoint and no metadata probing). */
async function check(vars: Record<string, string>) {
  restore()
  const env = {
    AWS_ENDPOINT_URL: peer.endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    AWS_CONFIG_FILE: join(home, 'config'),
    HOME: home,
    ...vars,
  }
  restore = setEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_PROFILE: undefined, AWS_ENDPOINT_URL_EC2: undefined, AWS_REGION: undefined, ...env })
  return checkAws({ env: process.env, home, validate: true })
}

test('keys in the environment', async () => {
  const c = await check({ AWS_ACCESS_KEY_ID: 'AKIAENVKEY0000000001', AWS_SECRET_ACCESS_KEY: 'x' })
  expect(c.enabled).toBe(true)
  expect(c.reason).toContain('AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment variables, access key AKIA…0001')
  expect(c.reason).toContain(`validated with EC2 DescribeRegions in us-east-1 at ${peer.endpoint}`)
  expect(c.regions).toContain('eu-west-1')
})

test('a named profile picked with AWS_PROFILE; its region is the home region', async () => {
  writeFileSync(join(home, 'credentials'), '[default]\naws_access_key_id = AKIADEFAULT000000001\naws_secret_access_key = d\n\n[work]\naws_access_key_id = AKIAWORK000000000002\naws_secret_access_key = w\n')
  writeFileSync(join(home, 'config'), '[profile work]\nregion = eu-west-1\n')
  const before = peer.proxy.calls.length
  const c = await check({ AWS_PROFILE: 'work' })
  expect(c.enabled).toBe(true)
  expect(c.reason).toContain("profile 'work'")
  expect(c.reason).toContain('DescribeRegions in eu-west-1')
  const call = peer.proxy.calls.slice(before).find((x) => x.action === 'DescribeRegions')
  expect(call?.region).toBe('eu-west-1')
})

test('a role profile: the SDK assumes the role through the same endpoint', async () => {
  writeFileSync(join(home, 'config'), '[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/sky-ops\nsource_profile = work\nregion = us-west-2\n')
  const before = peer.proxy.calls.length
  const c = await check({ AWS_PROFILE: 'ops' })
  expect(c.reason).toContain('assumed role')
  expect(c.enabled).toBe(true)
  expect(peer.proxy.calls.slice(before).map((x) => x.action)).toEqual(['AssumeRole', 'DescribeRegions'])
})

test('refused credentials: not enabled, with the reason', async () => {
  const rule = peer.proxy.fail({ fault: 'AuthFailure', action: 'DescribeRegions' })
  try {
    const c = await check({ AWS_ACCESS_KEY_ID: 'AKIAENVKEY0000000001', AWS_SECRET_ACCESS_KEY: 'x' })
    expect(c.enabled).toBe(false)
    expect(c.reason).toContain('credentials invalid')
    expect(c.reason).toContain('AuthFailure: AWS was not able to validate the provided access credentials')
  } finally {
    rule.remove()
  }
})
