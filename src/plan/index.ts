export { loadPlan, DEFAULT_RECOVERY, type LoadedPlan } from './load-plan.js';
export { selectCases, selectAll, type Selection } from './select.js';
export { describeCase, describeLoad, describeProbe, describeAction, describeBound, plannedCaseMs } from './describe.js';
export { plannedLoadMs, defaultOpenConnections } from './normalize-load.js';
export { PlanSchema, ScenarioSchema, ChaosSchema, FAULT_KINDS, PROBE_KINDS } from './schema.js';
export type { FaultKind } from './schema-actions.js';
export type { ProbeKind } from './schema-probes.js';
export type * from './types.js';
export { SYSTEM_NAMESPACES, faultNamespace, refusedNamespace } from './namespaces.js';
