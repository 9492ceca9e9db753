import type { KObject } from '../api/index.js';
import { CpuSampler, realTimers, type Timers } from '../controllers/index.js';
import type { ContainerUsage } from '../runtime/index.js';
import type { NodeMetricsSample, PodMetricsSample } from './metrics-objects.js';

/** A node as metrics-server scrapes it: its kubelet's pods and their containers' usage, while it answers. */
export interface UsageNode {
  readonly name: string;
  /** whether its kubelet can be scraped now (powered on, link up) */
  online(): boolean;
  podUsage(): Array<{ pod: KObject; containers: ContainerUsage[] }>;
}

export interface ResourceSamplerOptions {
  nodes: () => readonly UsageNode[];
  /** how often every node is scraped (metrics-server's --metric-resolution, default 15 s) */
  resolutionMs?: number;
  /** wall clock, ms: metrics carry wall-clock timestamps */
  now?: () => number;
  timers?: Timers;
}

interface Seen {
  node: string;
  pod: KObject;
  memory: Map<string, number>;
}

const key = (uid: string, container: string) => `${uid}/${container}`;

/**
 * The metrics-server of the real-control-plane mode: scrapes every node's kubelet each resolution period
 * and keeps, per container, the CPU usage between the last two scrapes (the builtin mode's CpuSampler,
 * keyed by container) and the resident memory at the last one. A pod is reported once every container
 * has a usage; a node, while its kubelet answers, as the sum of its pods (crt's nodes share one machine,
 * so the machine's own usage would say nothing about a node).
 */
export class ResourceSampler {
  private readonly cpu: CpuSampler;
  private seen = new Map<string, Seen>();
  private online = new Set<string>();
  /** when the last two scrapes were taken */
  private scrapes: { lastMs?: number; previousMs?: number } = {};
  private readonly now: () => number;

  constructor(private readonly opts: ResourceSamplerOptions) {
    this.now = opts.now ?? Date.now;
    this.cpu = new CpuSampler({
      cpuTimes: () => this.scrape(),
      now: this.now,
      timers: opts.timers ?? realTimers,
      ...(opts.resolutionMs ? { resolutionMs: opts.resolutionMs } : {}),
    });
  }

  /** Scrapes now, then every resolution period until stop(). */
  start(): void {
    this.cpu.start();
  }

  stop(): void {
    this.cpu.stop();
  }

  /** One scrape of every node; public so that tests drive it. */
  sample(): void {
    this.cpu.sample();
  }

  private scrape(): Map<string, number> {
    const times = new Map<string, number>();
    const seen = new Map<string, Seen>();
    const online = new Set<string>();
    for (const node of this.opts.nodes()) {
      if (!node.online()) continue;
      online.add(node.name);
      for (const { pod, containers } of node.podUsage()) {
        const uid = pod.metadata.uid!;
        seen.set(uid, { node: node.name, pod, memory: new Map(containers.map((c) => [c.name, c.memoryBytes])) });
        for (const c of containers) times.set(key(uid, c.name), c.cpuMs);
      }
    }
    this.seen = seen;
    this.online = online;
    this.scrapes = { lastMs: this.now(), ...(this.scrapes.lastMs !== undefined ? { previousMs: this.scrapes.lastMs } : {}) };
    return times;
  }

  /** Every pod with a usage for each of its containers, as of the last scrape. */
  pods(): PodMetricsSample[] {
    const out: PodMetricsSample[] = [];
    for (const [uid, s] of this.seen) {
      const containers = [...s.memory].map(([name, memoryBytes]) => ({ name, memoryBytes, usage: this.cpu.podCpu(key(uid, name)) }));
      if (containers.length === 0 || containers.some((c) => !c.usage)) continue;
      const windows = containers.map((c) => c.usage!);
      out.push({
        namespace: s.pod.metadata.namespace!, name: s.pod.metadata.name!, uid, node: s.node, labels: { ...(s.pod.metadata.labels ?? {}) },
        timestampMs: Math.max(...windows.map((w) => w.timestampMs)), windowMs: Math.max(...windows.map((w) => w.windowMs)),
        containers: containers.map((c) => ({ name: c.name, cpuNanocores: c.usage!.millicores * 1e6, memoryBytes: c.memoryBytes })),
      });
    }
    return out.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  /**
   * Every node whose kubelet answered the last scrape, once two scrapes were taken: its usage is the sum of
   * its pods' over the window between the last two scrapes.
   */
  nodes(): NodeMetricsSample[] {
    const { lastMs, previousMs } = this.scrapes;
    if (lastMs === undefined || previousMs === undefined) return [];
    const containers = this.pods().flatMap((p) => p.containers.map((c) => ({ ...c, node: p.node })));
    return [...this.online].sort().map((name) => {
      const mine = containers.filter((c) => c.node === name);
      return {
        name, timestampMs: lastMs, windowMs: lastMs - previousMs,
        cpuNanocores: mine.reduce((sum, c) => sum + c.cpuNanocores, 0),
        memoryBytes: mine.reduce((sum, c) => sum + c.memoryBytes, 0),
      };
    });
  }
}
