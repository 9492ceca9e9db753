import { silentLogger, type Logger } from '../../core/index.js';
import { GarbageCollector, type Store } from '../store/index.js';
import type { Controller, ControllerOptions, Timers } from './controller.js';
import { DeploymentController } from './deployment-controller.js';
import { DisruptionController } from './disruption-controller.js';
import { EndpointsController } from './endpoints-controller.js';
import { HorizontalPodAutoscalerController, type HpaControllerOptions } from './hpa-controller.js';
import { JobController, type JobControllerOptions } from './job-controller.js';
import { NodeLifecycleController, type NodeLifecycleOptions } from './node-lifecycle-controller.js';
import { NodeTaintController } from './node-taint-controller.js';
import { ReplicaSetController } from './replicaset-controller.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';
import { TaintEvictionController } from './taint-eviction-controller.js';

export interface ControllerManagerOptions {
  log?: Logger;
  /** Injected into every controller (tests drive them with a manual clock). */
  timers?: Timers;
  /** Periodic full resync of every controller (default 30 s; 0 disables). */
  resyncMs?: number;
  /** Per-controller overrides. */
  scheduler?: Omit<SchedulerOptions, 'log' | 'timers'>;
  replicaSet?: Omit<ControllerOptions, 'log' | 'timers'>;
  deployment?: Omit<ControllerOptions, 'log' | 'timers'>;
  endpoints?: Omit<ControllerOptions, 'log' | 'timers'>;
  nodeLifecycle?: Omit<NodeLifecycleOptions, 'log' | 'timers'>;
  job?: Omit<JobControllerOptions, 'log' | 'timers'>;
  horizontalPodAutoscaler?: Omit<HpaControllerOptions, 'log' | 'timers'>;
  /** Run the store's garbage collector (default true): this manager owns it, as kube-controller-manager does. */
  garbageCollector?: boolean;
}

/**
 * kube-controller-manager plus kube-scheduler for the embedded cluster: starts the scheduler, the
 * ReplicaSet, Deployment and endpoints controllers and the garbage collector together, and stops them
 * together. Nobody else creates the GarbageCollector: it starts collecting as soon as it is constructed.
 */
export class ControllerManager implements Controller {
  private readonly controllers: Array<{ name: string; controller: Controller }>;
  /** Its timings change while it runs (a case's `clusterSettings:`). */
  readonly nodeLifecycle: NodeLifecycleController;
  private gc: GarbageCollector | undefined;
  private running = false;
  private readonly log: Logger;

  constructor(private readonly store: Store, private readonly opts: ControllerManagerOptions = {}) {
    this.log = opts.log ?? silentLogger;
    const base = <T extends Omit<ControllerOptions, 'log' | 'timers'>>(extra: T | undefined): ControllerOptions & T => ({
      log: this.log,
      ...(opts.timers ? { timers: opts.timers } : {}),
      ...(opts.resyncMs !== undefined ? { resyncMs: opts.resyncMs } : {}),
      ...(extra as T),
    });
    this.nodeLifecycle = new NodeLifecycleController(store, base(opts.nodeLifecycle));
    this.controllers = [
      { name: 'scheduler', controller: new Scheduler(store, base(opts.scheduler)) },
      { name: 'replicaset', controller: new ReplicaSetController(store, base(opts.replicaSet)) },
      { name: 'deployment', controller: new DeploymentController(store, base(opts.deployment)) },
      { name: 'endpoints', controller: new EndpointsController(store, base(opts.endpoints)) },
      { name: 'node-lifecycle', controller: this.nodeLifecycle },
      { name: 'taint-eviction', controller: new TaintEvictionController(store, base(undefined)) },
      { name: 'node-taint', controller: new NodeTaintController(store, base(undefined)) },
      { name: 'disruption', controller: new DisruptionController(store, base(undefined)) },
      { name: 'job', controller: new JobController(store, base(opts.job)) },
      { name: 'horizontal-pod-autoscaler', controller: new HorizontalPodAutoscalerController(store, base(opts.horizontalPodAutoscaler)) },
    ];
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.opts.garbageCollector !== false) this.gc = new GarbageCollector(this.store);
    for (const { controller } of this.controllers) controller.start();
    this.log.debug({ controllers: this.controllers.map((c) => c.name), garbageCollector: Boolean(this.gc) }, 'controllers started');
  }

  /** Stops every controller, each in isolation: one failing to stop does not keep the others running. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    for (const { name, controller } of [...this.controllers].reverse()) {
      try {
        controller.stop();
      } catch (err) {
        this.log.error({ err, controller: name }, 'controller failed to stop');
      }
    }
    this.gc?.stop();
    this.gc = undefined;
  }
}
