// The client SDK calls use when none is passed: the API server named by
// SKYPILOT_API_SERVER_ENDPOINT, else `api_server.endpoint` in config, else the local one (started
// on first use). Made on first use, never at import.
import { SkyClient } from './client'

let client: SkyClient | undefined

export function defaultClient(): SkyClient {
  return (client ??= new SkyClient())
}

/** Use this client for calls made without `{ client }` (e.g. one with another endpoint or user). */
export function setDefaultClient(c: SkyClient | undefined): void {
  client = c
}
