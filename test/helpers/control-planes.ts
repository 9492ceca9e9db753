import type { ControlPlaneKind } from '../../src/localcluster/index.js';
import { requireRealControlPlane } from '../cluster/controlplane/real-binaries.js';

export type { ControlPlaneKind };

const KINDS: readonly ControlPlaneKind[] = ['builtin', 'kubernetes'];

/**
 * The control planes a suite that runs on both repeats itself on: both by default;
 * CRT_TEST_CONTROL_PLANE=builtin or =kubernetes narrows it to one (to iterate on one mode, or when
 * a machine cannot run the real one and its skips are noise). Anything else is a mistake, said as such.
 *
 * `realPending` names why a suite does not pass on the real control plane yet: `npm test` then runs it
 * on builtin only, and CRT_TEST_CONTROL_PLANE=kubernetes (or =both) still runs it there, to work on it.
 */
export function controlPlanes(opts: { realPending?: string } = {}): ControlPlaneKind[] {
  const asked = process.env.CRT_TEST_CONTROL_PLANE;
  if (asked === undefined || asked === '') return opts.realPending ? ['builtin'] : [...KINDS];
  if (asked === 'both') return [...KINDS];
  if ((KINDS as readonly string[]).includes(asked)) return [asked as ControlPlaneKind];
  throw new Error(`CRT_TEST_CONTROL_PLANE=${asked}: must be builtin, kubernetes or both`);
}

/** How a suite's title names its control plane. */
export function onControlPlane(cp: ControlPlaneKind): string {
  return cp === 'kubernetes' ? 'real control plane' : 'builtin control plane';
}

/**
 * In a suite's `before`: nothing for the builtin control plane; for the real one, its binaries and
 * network namespaces (requireRealControlPlane: skips the suite saying why, or fails under
 * CRT_REQUIRE_KUBERNETES=1).
 */
export async function requireControlPlane(ctx: Mocha.Context, cp: ControlPlaneKind): Promise<void> {
  if (cp === 'kubernetes') await requireRealControlPlane(ctx);
}

/**
 * A suite's or test's timeout on `cp`: the builtin one's, plus what starting the real control plane
 * (etcd, kube-apiserver, controller-manager, scheduler, the nodes' namespaces) can take on 2 busy cores.
 */
export function timeoutOn(cp: ControlPlaneKind, builtinMs: number): number {
  return cp === 'kubernetes' ? builtinMs + 240_000 : builtinMs;
}
