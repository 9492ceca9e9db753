export { DistributedJobEngine, WORKER_START_LEAD_MS } from './job-engine.js';
export { renderWorkerJob, workerJobName, defaultWorkerImage, RUN_ID_LABEL, WORKER_JOB_LABEL } from './job-manifest.js';
export { K6OperatorEngine, runnerEnv } from './k6-operator-engine.js';
export { renderK6TestRun, runnerIndex, samplesFromRunnerLogs, type K6TestRun } from './k6-operator.js';
