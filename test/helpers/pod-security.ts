/**
 * The checks of the Pod Security Standard `restricted` (kubernetes.io/docs/concepts/security/pod-security-standards)
 * that a pod spec can fail, as the admission controller applies them. Hand-written: the real one
 * (k8s.io/pod-security-admission) is Go, and the embedded cluster runs no admission.
 * Returns one line per violation; empty when the pod would be admitted.
 */
export interface PodLike {
  hostNetwork?: boolean; hostPID?: boolean; hostIPC?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type?: string } };
  volumes?: Array<{ hostPath?: unknown }>;
}
export interface ContainerLike {
  name: string;
  securityContext?: {
    privileged?: boolean; allowPrivilegeEscalation?: boolean; runAsNonRoot?: boolean; runAsUser?: number;
    capabilities?: { add?: string[]; drop?: string[] }; seccompProfile?: { type?: string };
  };
  ports?: Array<{ hostPort?: number }>;
}

export function restrictedViolations(pod: PodLike, containers: readonly ContainerLike[]): string[] {
  const out: string[] = [];
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) out.push('host namespaces');
  if ((pod.volumes ?? []).some((v) => v.hostPath)) out.push('hostPath volumes');
  if (pod.securityContext?.runAsUser === 0) out.push('pod runAsUser 0');
  for (const c of containers) {
    const s = c.securityContext ?? {};
    if (s.privileged) out.push(`${c.name}: privileged`);
    if (s.allowPrivilegeEscalation !== false) out.push(`${c.name}: allowPrivilegeEscalation != false`);
    if ((s.runAsNonRoot ?? pod.securityContext?.runAsNonRoot) !== true) out.push(`${c.name}: runAsNonRoot != true`);
    if (s.runAsUser === 0) out.push(`${c.name}: runAsUser 0`);
    if (!(s.capabilities?.drop ?? []).includes('ALL')) out.push(`${c.name}: capabilities.drop lacks ALL`);
    if ((s.capabilities?.add ?? []).some((a) => a !== 'NET_BIND_SERVICE')) out.push(`${c.name}: capabilities.add beyond NET_BIND_SERVICE`);
    const seccomp = s.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`${c.name}: seccompProfile not RuntimeDefault or Localhost`);
    if ((c.ports ?? []).some((p) => p.hostPort)) out.push(`${c.name}: hostPort`);
  }
  return out;
}
