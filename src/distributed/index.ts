export { DistributedJobEngine, WORKER_START_LEAD_MS } from './job-engine.js';
export { renderWorkerJob, workerJobName, defaultWorkerImage, RUN_ID_LABEL, WORKER_JOB_LABEL } from './job-manifest.js';
