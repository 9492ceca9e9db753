import type { KObject } from '../api/index.js';
import type { Admission } from '../store/index.js';
import { DEFAULT_TOLERATION_SECONDS } from '../../vocabulary/index.js';

const TAINT_KEYS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

/**
 * The DefaultTolerationSeconds admission plug-in: every new pod tolerates the not-ready and unreachable
 * NoExecute taints for `seconds`, unless it already has a toleration for them. This is why a pod on a
 * lost node is evicted 5 minutes after the node went unreachable, and not at once. The value is
 * stamped on the pod at creation: pods created before a change of the setting keep the old one.
 */
export function defaultTolerationSeconds(seconds: number | (() => number) = DEFAULT_TOLERATION_SECONDS): Admission {
  return {
    create(pod: KObject): void {
      // a function: the value in effect when the pod is created (kube-apiserver restarted with another flag)
      const tolerationSeconds = typeof seconds === 'function' ? seconds() : seconds;
      pod.spec ??= {};
      const tolerations: any[] = pod.spec.tolerations ?? [];
      const added = TAINT_KEYS.filter((key) => !tolerations.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect)))
        .map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds }));
      if (added.length) pod.spec.tolerations = [...tolerations, ...added];
    },
  };
}
