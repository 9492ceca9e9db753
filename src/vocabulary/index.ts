// The words the plan, the runner, the embedded cluster and the results share (eslint/deps.mjs):
// a folder that needs one of them imports it from here, not from the folder that uses it most.
export { LAYERS, type Layer } from './layers.js';
export { PHASES, PHASE_NAMES, type Phase, type PhaseName } from './phases.js';
export { FAILURE_CLASSES, type FailureClass, type FailureCounts } from './failure-classes.js';
export { VERDICTS, type Verdict, type ExpectationVerdict } from './verdicts.js';
export {
  DEFAULT_HEARTBEAT_MS, DEFAULT_NODE_MONITOR_PERIOD_MS, DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS, DEFAULT_TOLERATION_SECONDS, DEFAULT_NODE_TIMINGS, NODE_TIMINGS_HINT,
  checkNodeTimings, nodeTimingProblems, nodeTimingsOf, type NodeTimings,
} from './node-timings.js';
export { CONTROL_PLANE_CHOICES, defaultControlPlane, type ControlPlaneChoice, type ControlPlaneKind } from './control-plane.js';
