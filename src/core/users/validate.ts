// What a user name, role, password and token expiry may be.
import { ValidationError } from '../errors'
import { ROLES, type Role } from '../state/users'

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/

export function checkUserName(name: unknown, path = 'name'): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new ValidationError([{ path, message: 'user names are 1-64 letters, digits and . _ @ + -, starting with a letter or digit', value: name }])
  }
  return name
}

export function checkRole(role: unknown, path = 'role'): Role {
  if (typeof role !== 'string' || !ROLES.includes(role as Role)) {
    throw new ValidationError([{ path, message: `role must be one of: ${ROLES.join(', ')}`, value: role }])
  }
  return role as Role
}

export function checkPassword(password: unknown, path = 'password'): string {
  if (typeof password !== 'string' || password.length === 0) throw new ValidationError([{ path, message: 'a password is required' }])
  if (password.length > 1024) throw new ValidationError([{ path, message: 'passwords are at most 1024 characters' }])
  return password
}

/** Days until a token expires: a positive number (fractions allowed), or undefined for never. */
export function checkExpiryDays(days: unknown, path = 'expires_in_days'): number | undefined {
  if (days === undefined || days === null) return undefined
  const n = Number(days)
  if (!Number.isFinite(n) || n <= 0 || n > 36500) throw new ValidationError([{ path, message: 'must be a positive number of days (at most 36500)', value: days }])
  return n
}

/** `name:password` from SKYPILOT_INITIAL_ADMIN / api_server.initial_admin. */
export function parseInitialAdmin(spec: string): { name: string; password: string } {
  const i = spec.indexOf(':')
  if (i <= 0) throw new ValidationError([{ path: 'SKYPILOT_INITIAL_ADMIN', message: "expected 'name:password'" }])
  return { name: checkUserName(spec.slice(0, i), 'SKYPILOT_INITIAL_ADMIN'), password: checkPassword(spec.slice(i + 1), 'SKYPILOT_INITIAL_ADMIN') }
}
