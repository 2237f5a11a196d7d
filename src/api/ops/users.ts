// Users and service-account tokens on a deployed API server (/users/*), answered directly. A local
// server has no users and answers 404 with how to get them. Per-user rules live in UserService.
import { Type as T } from '@sinclair/typebox'
import { defineEndpoint } from '../define'
import { PageQuery } from '../schemas'
import { Me, NewToken, Role, Token, User } from '../wire'

const impl = () => import('../../server/endpoints/users')
const UserName = T.String({ minLength: 1, maxLength: 64 })

export const listUsers = defineEndpoint({
  name: 'users.list',
  route: '/users',
  method: 'GET',
  tag: 'users',
  summary: 'Every user (admins), by name, one page at a time (X-Sky-Next-Cursor).',
  access: 'admin',
  paged: true,
  input: T.Object({ ...PageQuery }),
  result: T.Array(User),
  handler: async () => (await impl()).list,
})

export const whoAmI = defineEndpoint({
  name: 'users.me',
  route: '/users/me',
  method: 'GET',
  tag: 'users',
  summary: 'The calling user.',
  access: 'user',
  input: T.Object({}),
  result: Me,
  handler: async () => (await impl()).me,
})

export const createUser = defineEndpoint({
  name: 'users.create',
  route: '/users/create',
  method: 'POST',
  tag: 'users',
  summary: 'Create a user (admins); without a password it can use only service-account tokens.',
  access: 'admin',
  input: T.Object({ name: UserName, password: T.Optional(T.String({ maxLength: 1024 })), role: T.Optional(Role) }),
  result: User,
  handler: async () => (await impl()).create,
})

export const deleteUser = defineEndpoint({
  name: 'users.delete',
  route: '/users/delete',
  method: 'POST',
  tag: 'users',
  summary: 'Delete a user and their tokens (admins; never the last admin).',
  access: 'admin',
  input: T.Object({ name: UserName }),
  result: T.Object({ deleted: T.String() }),
  handler: async () => (await impl()).remove,
})

export const setUserRole = defineEndpoint({
  name: 'users.role',
  route: '/users/role',
  method: 'POST',
  tag: 'users',
  summary: "Change a user's role (admins).",
  access: 'admin',
  input: T.Object({ name: UserName, role: Role }),
  result: User,
  handler: async () => (await impl()).role,
})

export const setUserPassword = defineEndpoint({
  name: 'users.password',
  route: '/users/password',
  method: 'POST',
  tag: 'users',
  summary: "Set a password: admins anyone's, users their own.",
  access: 'user',
  input: T.Object({ name: UserName, password: T.String({ maxLength: 1024 }) }),
  result: T.Object({ updated: T.String() }),
  handler: async () => (await impl()).password,
})

export const listTokens = defineEndpoint({
  name: 'users.tokens.list',
  route: '/users/service-account-tokens',
  method: 'GET',
  tag: 'users',
  summary: "Service-account tokens: the caller's, or a named user's or everyone's (admins).",
  access: 'user',
  paged: true,
  input: T.Object({ name: T.Optional(T.String({ maxLength: 64 })), ...PageQuery }),
  result: T.Array(Token),
  handler: async () => (await impl()).listTokens,
})

export const createToken = defineEndpoint({
  name: 'users.tokens.create',
  route: '/users/service-account-tokens',
  method: 'POST',
  tag: 'users',
  summary: 'A new token for the caller (or, for admins, any user or a new service account); shown once.',
  access: 'user',
  input: T.Object({
    name: T.Optional(T.String()),
    token_name: T.Optional(T.String({ maxLength: 100 })),
    expires_in_days: T.Optional(T.Union([T.Number(), T.Null()])),
  }),
  result: NewToken,
  handler: async () => (await impl()).createToken,
})

export const revokeToken = defineEndpoint({
  name: 'users.tokens.revoke',
  route: '/users/service-account-tokens/revoke',
  method: 'POST',
  tag: 'users',
  summary: 'Revoke a token, given the token itself or its id.',
  access: 'user',
  input: T.Object({ token: T.Optional(T.String()), token_id: T.Optional(T.String()) }),
  result: Token,
  handler: async () => (await impl()).revokeToken,
})
