// Uploads of workdirs and local file mounts (src/api/ops/uploads.ts): /upload/missing,
// PUT /upload/blobs/:hash, /upload/manifests.
import * as uploads from '../../api/ops/uploads'
import type { AppDeps } from '../context'
import { routesFor } from './from-definitions'

export const uploadRoutes = (d: AppDeps) => routesFor(d, uploads)
