// Who is calling. A local server (not --deploy) trusts the user the client names in headers, as
// SkyPilot trusts the body's env vars: it is one person's machine. A deployed server replaces
// this with authentication (src/server/auth).
import type { Requester } from './requests/service'

export const HEADER_USER_ID = 'x-sky-user-id'
export const HEADER_USER_NAME = 'x-sky-user-name'

export function localIdentify(serverOwner: { id: string; name: string }) {
  return async (req: Request): Promise<Requester> => {
    const id = req.headers.get(HEADER_USER_ID) || serverOwner.id
    const name = req.headers.get(HEADER_USER_NAME) || serverOwner.name
    return { id, name, role: 'admin', isAdmin: true }
  }
}
