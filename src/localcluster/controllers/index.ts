/**
 * The embedded cluster's control plane: the controllers and the scheduler, acting on the Store in-process
 * with the semantics kube-controller-manager and kube-scheduler have through the API.
 */
export { ControllerManager, type ControllerManagerOptions } from './controller-manager.js';
export { realTimers, type Controller, type ControllerOptions, type Timers } from './controller.js';
export { DeploymentController } from './deployment-controller.js';
export { DisruptionController } from './disruption-controller.js';
export { EndpointsController } from './endpoints-controller.js';
export { EventRecorder, type EventSource, type RecordedEvent } from './event-recorder.js';
export { HorizontalPodAutoscalerController, type HpaControllerOptions } from './hpa-controller.js';
export { JobController, type JobControllerOptions } from './job-controller.js';
export { CpuSampler, type PodCpuUsage, type PodMetricsSource } from './pod-metrics.js';
export { NodeLifecycleController, type NodeLifecycleOptions } from './node-lifecycle-controller.js';
export { NodeTaintController, UNSCHEDULABLE_TAINT } from './node-taint-controller.js';
export { ReplicaSetController } from './replicaset-controller.js';
export { Scheduler, type SchedulerOptions } from './scheduler.js';
export { TaintEvictionController } from './taint-eviction-controller.js';
export { isPodReady, selectorMatches } from './objects.js';
