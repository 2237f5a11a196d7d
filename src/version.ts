// Build-time facts. scripts/build.ts replaces the SKY_BUILD_* globals with `define`; under
// `bun run` they are absent and we fall back to the package version and "dev".
import pkg from '../package.json' with { type: 'json' }

declare const SKY_BUILD_VERSION: string | undefined
declare const SKY_BUILD_COMMIT: string | undefined
declare const SKY_BUILD_ID: string | undefined

export const VERSION: string = typeof SKY_BUILD_VERSION === 'string' ? SKY_BUILD_VERSION : pkg.version
export const COMMIT: string = typeof SKY_BUILD_COMMIT === 'string' ? SKY_BUILD_COMMIT : 'dev'
/**
 * One build of the binary: its commit plus when it was built, so two builds of one commit (a
 * rebuild of uncommitted changes) differ too. `dev` under `bun run`. A client that meets a local
 * server of another build replaces it (sdk/server-identity.ts).
 */
export const BUILD_ID: string = typeof SKY_BUILD_ID === 'string' ? SKY_BUILD_ID : 'dev'

/** Wire protocol version. Bump when a request or response shape changes incompatibly. */
export const API_VERSION = 1
/** The oldest peer API version this build still talks to. */
export const MIN_COMPATIBLE_API_VERSION = 1

export const HEADER_API_VERSION = 'x-skypilot-api-version'
export const HEADER_VERSION = 'x-skypilot-version'
export const HEADER_REQUEST_ID = 'x-skypilot-request-id'
/** Sent by sky servers only (SkyPilot's do not): the server's BUILD_ID. */
export const HEADER_BUILD = 'x-sky-build'

/** True inside the binary built by scripts/build.ts (argv and file paths differ from `bun run`). */
export const IS_COMPILED: boolean = typeof SKY_BUILD_VERSION === 'string'
