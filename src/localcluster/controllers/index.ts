/**
 * The embedded cluster's control plane: the controllers and the scheduler, acting on the Store in-process
 * with the semantics kube-controller-manager and kube-scheduler have through the API.
 */
export { ControllerManager, type ControllerManagerOptions } from './controller-manager.js';
export { realTimers, type Controller, type ControllerOptions, type Timers } from './controller.js';
export { DeploymentController } from './deployment-controller.js';
export { EndpointsController } from './endpoints-controller.js';
export { EventRecorder, type EventSource, type RecordedEvent } from './event-recorder.js';
export { ReplicaSetController } from './replicaset-controller.js';
export { Scheduler, type SchedulerOptions } from './scheduler.js';
