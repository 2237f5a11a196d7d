// The AWS test peer in one call: moto's EC2 server plus the fault proxy in front of it, and the
// environment that points an unmodified AWS client (the SDK, the AWS CLI, the compiled sky) at
// the proxy. Start one per test file; reset() between tests; stop() at the end.
import { startEc2FaultProxy, type Ec2FaultProxy } from './fault-proxy.ts'
import { startMoto, type Moto } from './moto.ts'

export interface AwsPeer {
  moto: Moto
  proxy: Ec2FaultProxy
  /** The proxy's endpoint (what clients should use). */
  endpoint: string
  /**
   * Standard AWS settings only: endpoint override, static keys, no instance-metadata probing
   * (without credentials the SDKs' default chain would dial 169.254.169.254).
   */
  env: Record<string, string>
  /** Empty moto, clear the fault rules and the call log. */
  reset(): Promise<void>
  stop(): Promise<void>
}

export const TEST_ACCESS_KEY_ID = 'AKIASKYTESTPEER00000'
export const TEST_SECRET_ACCESS_KEY = 'sky-test-secret-access-key'

export async function startAwsPeer(): Promise<AwsPeer> {
  const moto = await startMoto()
  const proxy = startEc2FaultProxy(moto.endpoint)
  return {
    moto,
    proxy,
    endpoint: proxy.endpoint,
    env: {
      AWS_ENDPOINT_URL_EC2: proxy.endpoint,
      AWS_ENDPOINT_URL: proxy.endpoint,
      AWS_ACCESS_KEY_ID: TEST_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: TEST_SECRET_ACCESS_KEY,
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    async reset() {
      proxy.reset()
      await moto.reset()
    },
    async stop() {
      await proxy.stop()
      await moto.stop()
    },
  }
}
