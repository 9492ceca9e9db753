import type { V1Job } from '@kubernetes/client-node';
import { crtVersion } from '../core/index.js';
import { RUN_ID_LABEL, labelValue } from '../kube/index.js';
import { WORKER_CONFIG_ENV, type WorkerConfig } from '../load/index.js';

/** Default worker image: on the embedded cluster it runs this crt; on a real cluster, build it from deploy/k8s/Dockerfile (the crt image). */
export const defaultWorkerImage = (): string => `crt.io/crt:${crtVersion}`;
// the run's label on a distributed load's pods: kube/ owns it
export { RUN_ID_LABEL } from '../kube/index.js';
export const WORKER_JOB_LABEL = 'crt.io/load-job';
/** The worker's container: its log is read by name (a mesh may inject sidecars into the pod). */
export const WORKER_CONTAINER = 'worker';
/**
 * What a worker asks of its node. A CPU request so that the scheduler places it where it can run (and
 * a quota admits it); no CPU limit, since CFS throttling would stall the generator and be measured as
 * the service's latency; a memory limit well above what one autocannon process holds (about 100 MiB).
 */
export const WORKER_RESOURCES = { requests: { cpu: '250m', memory: '128Mi' }, limits: { memory: '512Mi' } };

/** A DNS-1123 name for a case's worker Job: `crt-load-<case>-<random>`, at most 63 characters. */
export function workerJobName(caseId: string, random = Math.random().toString(36).slice(2, 7)): string {
  const slug = caseId.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'case';
  return `crt-load-${slug}-${random}`;
}


/**
 * The Indexed Job of a distributed load: `generators` pods run at once (parallelism =
 * completions), each `crt worker` with the same configuration and its index from
 * JOB_COMPLETION_INDEX. No retries (a worker that fails is reported, not silently re-run,
 * which would count its seconds twice), a deadline so that a Job left behind by a crash ends by itself.
 */
export function renderWorkerJob(o: {
  name: string; namespace: string; image: string; generators: number; runId: string; caseId: string; config: WorkerConfig; deadlineSec: number;
}): V1Job {
  const labels = { [RUN_ID_LABEL]: labelValue(o.runId), 'crt.io/case': labelValue(o.caseId), 'app.kubernetes.io/managed-by': 'crt' };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: o.name, namespace: o.namespace, labels },
    spec: {
      completionMode: 'Indexed',
      completions: o.generators,
      parallelism: o.generators,
      backoffLimit: 0,
      activeDeadlineSeconds: o.deadlineSec,
      ttlSecondsAfterFinished: 600,
      template: {
        metadata: { labels: { ...labels, [WORKER_JOB_LABEL]: o.name } },
        spec: {
          restartPolicy: 'Never',
          // the Pod Security Standard `restricted` asks for all of this; uid 1000 is the image's user `node`
          // (runAsNonRoot needs a numeric user to check, and the Dockerfile names it)
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: WORKER_CONTAINER,
            image: o.image,
            args: ['worker'],
            env: [{ name: WORKER_CONFIG_ENV, value: JSON.stringify(o.config) }],
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true },
            resources: WORKER_RESOURCES,
          }],
        },
      },
    },
  };
}
