import { UsageError } from '../core/index.js';

/** The embedded cluster's control planes: crt's own API server and controllers, or the real Kubernetes ones. */
export type ControlPlaneKind = 'builtin' | 'kubernetes';
/** What a plan, `--control-plane` or CRT_CONTROL_PLANE may ask for: `auto` is the real one when it can run here, else builtin. */
export type ControlPlaneChoice = ControlPlaneKind | 'auto';
export const CONTROL_PLANE_CHOICES: readonly ControlPlaneChoice[] = ['builtin', 'kubernetes', 'auto'];

/**
 * The control plane of an embedded cluster that neither the plan (`cluster.local.controlPlane`) nor the
 * command line (`--control-plane`) names: CRT_CONTROL_PLANE when set, else `auto`. A UsageError names a
 * value that is none of the three.
 */
export function defaultControlPlane(env: NodeJS.ProcessEnv = process.env): ControlPlaneChoice {
  const asked = env.CRT_CONTROL_PLANE;
  if (asked === undefined || asked === '') return 'auto';
  if ((CONTROL_PLANE_CHOICES as readonly string[]).includes(asked)) return asked as ControlPlaneChoice;
  throw new UsageError(`CRT_CONTROL_PLANE=${asked}: not a control plane`, { hint: `one of ${CONTROL_PLANE_CHOICES.join(', ')}, or unset for auto` });
}
