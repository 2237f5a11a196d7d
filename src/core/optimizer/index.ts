// Public surface of the optimizer.
export { optimize, nextCandidate } from './optimize'
export { applyBlocked, blockFor, describeBlocked, type BlockLevel } from './blocked'
export { renderPlan, planRows, infraLabel, estimatedCost, type PlanRow, type RenderPlanOptions } from './render'
export { parseVirtualInstanceType, virtualInstanceType } from './live-candidates'
export { describeRequest } from './request'
export type { BlockedResource, Candidate, EnabledInfra, LiveNode, OptimizeInput, Plan, Rejection } from './types'
