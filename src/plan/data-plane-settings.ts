import { UsageError, isDuration, parseDuration, parseQuantity } from '../core/index.js';

/**
 * The data-plane settings of `cluster.local.settings`: how unforgiving the embedded cluster's network,
 * kubelets and scheduler are (see docs/embedded-cluster/fidelity.md).
 */
export const DATA_PLANE_SETTINGS = {
  endpointPropagationDelay: 'a duration (1s): how long an Endpoints change takes to reach the Service proxies',
  podStartDelay: 'a duration (500ms): sandbox, CNI and image pull before a pod\'s containers start',
  nodeLossTraffic: 'drop or reset: what a powered-off node or a lost link does to traffic',
  cni: 'keep, drop or reset: what a NetworkPolicy does to the established connections it starts denying',
  nodeCpu: 'a quantity (4, 3500m): the cpu each node offers the scheduler',
  nodeMemory: 'a quantity (8Gi): the memory each node offers the scheduler',
  nodePods: 'a whole number (110): how many pods each node takes',
} as const;

export type DataPlaneSetting = keyof typeof DATA_PLANE_SETTINGS;

/** The LocalClusterOptions these settings set: the plan owns their syntax, the embedded cluster their meaning. */
export interface DataPlaneOptions {
  endpointPropagationDelayMs?: number;
  podStartDelayMs?: number;
  nodeLossTraffic?: 'drop' | 'reset';
  cni?: 'keep' | 'drop' | 'reset';
  nodeCapacity?: { cpu?: string; memory?: string; pods?: number };
}

export function isDataPlaneSetting(key: string): key is DataPlaneSetting {
  return Object.prototype.hasOwnProperty.call(DATA_PLANE_SETTINGS, key);
}

/**
 * The LocalCluster options the data-plane keys of `raw` (a plan's `cluster.local.settings`) ask for;
 * other keys are left alone. A malformed value is a UsageError naming `where` and the key.
 */
export function dataPlaneOptions(raw: Readonly<Record<string, unknown>>, where: string): DataPlaneOptions {
  const out: DataPlaneOptions = {};
  const capacity: NonNullable<DataPlaneOptions['nodeCapacity']> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!isDataPlaneSetting(key)) continue;
    const invalid = (): UsageError => new UsageError(`${where}: cluster.local.settings.${key} must be ${DATA_PLANE_SETTINGS[key]}, not ${JSON.stringify(value)}`);
    switch (key) {
      case 'endpointPropagationDelay':
      case 'podStartDelay': {
        if (value !== 0 && value !== '0' && !(typeof value === 'string' && isDuration(value))) throw invalid();
        out[key === 'podStartDelay' ? 'podStartDelayMs' : 'endpointPropagationDelayMs'] = parseDuration(value);
        break;
      }
      case 'nodeLossTraffic':
        if (value !== 'drop' && value !== 'reset') throw invalid();
        out.nodeLossTraffic = value;
        break;
      case 'cni':
        if (value !== 'keep' && value !== 'drop' && value !== 'reset') throw invalid();
        out.cni = value;
        break;
      case 'nodeCpu':
      case 'nodeMemory': {
        const text = typeof value === 'number' ? String(value) : value;
        const amount = parseQuantity(text);
        if (typeof text !== 'string' || amount === undefined || !(amount > 0)) throw invalid();
        capacity[key === 'nodeCpu' ? 'cpu' : 'memory'] = text;
        break;
      }
      case 'nodePods':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw invalid();
        capacity.pods = value;
        break;
    }
  }
  if (Object.keys(capacity).length > 0) out.nodeCapacity = capacity;
  return out;
}
