import type { CoreV1Api } from '@kubernetes/client-node';

/**
 * Annotations crt's embedded cluster on the real control plane writes, for crt's own code to find what a
 * real API server cannot serve. Only loopback values are ever taken from them: a real cluster whose
 * objects carry them by accident (or malice) cannot send crt anywhere else.
 */

/** On each Node: the base URL of crt's power and link switches of that node (`<base>/crt/v1/nodes/<node>/power`). */
export const NODE_SWITCH_ANNOTATION = 'crt.io/node-switch';
/** On Namespace kube-system: the base URL of crt's switch of the control plane's processes (`<base>/crt/v1/control-plane`). */
export const CONTROL_PLANE_SWITCH_ANNOTATION = 'crt.io/control-plane-switch';
/** On each Service: the loopback address at which this machine reaches it (its ports as the Service's). */
export const LOOPBACK_ADDRESS_ANNOTATION = 'crt.io/loopback-address';

const LOOPBACK_URL = /^http:\/\/127\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d{1,5}$/;
const LOOPBACK_IP = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** The loopback address a Service's annotation names, if it names one. */
export function loopbackAddress(annotations: Record<string, string> | undefined): string | undefined {
  const value = annotations?.[LOOPBACK_ADDRESS_ANNOTATION];
  return value && LOOPBACK_IP.test(value) ? value : undefined;
}

/**
 * Where the power and link switches of `node` answer: the Node's annotation (the real control plane's
 * embedded cluster serves them beside the API server), else `server` itself (the builtin API server
 * serves them). A Node that cannot be read leaves `server`.
 */
export async function nodeSwitchBase(server: string, node: string, core: CoreV1Api | undefined): Promise<string> {
  if (!core) return server;
  try {
    const n = await core.readNode({ name: node });
    const value = n.metadata?.annotations?.[NODE_SWITCH_ANNOTATION];
    if (value && LOOPBACK_URL.test(value)) return value;
  } catch {
    // the switch at `server` answers 404 for a node it does not know, which says what is wrong
  }
  return server;
}

/**
 * Where crt's switch of the real control plane's processes answers: the annotation of Namespace
 * kube-system (the embedded cluster on the real control plane writes it). Undefined when the cluster has
 * none (a real cluster, the builtin control plane): the API must be up to read it.
 */
export async function controlPlaneSwitchBase(core: CoreV1Api): Promise<string | undefined> {
  const ns = await core.readNamespace({ name: 'kube-system' });
  const value = ns.metadata?.annotations?.[CONTROL_PLANE_SWITCH_ANNOTATION];
  return value && LOOPBACK_URL.test(value) ? value : undefined;
}

/** Whether `url` is a loopback switch URL as crt writes them (a journal read back is checked again). */
export function isLoopbackSwitch(url: string): boolean {
  return LOOPBACK_URL.test(url);
}
