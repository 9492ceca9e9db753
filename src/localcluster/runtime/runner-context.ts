import type { Socket } from 'node:net';
import type { Clock, Logger } from '../../core/index.js';
import type { KObject } from '../api/index.js';
import type { BackoffOptions } from './backoff.js';

/** A Kubernetes event about the pod, as the kubelet records it (`fieldPath` names the container). */
export interface PodEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  fieldPath?: string;
}

/** A regular container, an init container run to completion, or a sidecar (init container with `restartPolicy: Always`). */
export type ContainerRole = 'regular' | 'init' | 'sidecar';

export type RunOutcome = 'succeeded' | 'failed' | 'stopped';

/** What a runner needs from its pod worker. */
export interface RunnerContext {
  pod: KObject;
  podIP: string;
  /** The node's IP: the kubelet's probes and hooks dial from it, which NetworkPolicy always allows. */
  hostIP: string;
  dir: string;
  clock: Clock;
  backoff: BackoffOptions;
  demoEntry?: string;
  /** `name_namespace(uid)`, how the kubelet names a pod in messages. */
  podRef: string;
  /** Grace for the kills the runtime decides itself (failed liveness, failed postStart). */
  graceMs: number;
  /** The container's environment; throws a ContainerConfigError for a missing reference. */
  env(container: any): Record<string, string>;
  emit(event: PodEvent): void;
  changed(): void;
  log: Logger;
  /** The container's restartCount in the status the API still holds (a node reboot): it starts again at that + 1. */
  previousRestartCount?(container: string): number | undefined;
  /** Rewrites each program the pod runs (containers, exec probes and hooks), e.g. to enter the node's network namespace. */
  wrap?: CommandWrap;
  /** How the kubelet's HTTP and TCP probes connect (e.g. from inside the node's network namespace). */
  dial?: Dialer;
}

/** Opens a TCP connection to host:port from where the node's network is. */
export type Dialer = (host: string, port: number) => Promise<Socket>;

/**
 * Turns a program and its arguments into the command to spawn instead, e.g. `ip netns exec <ns> <file> <args…>`.
 * The wrapper must exec the program in place (same pid, same process group): stops and kills signal that group.
 */
export type CommandWrap = (file: string, args: string[]) => { file: string; args: string[] };
