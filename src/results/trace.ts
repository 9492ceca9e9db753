/**
 * What makes a run traceable, as run.json records it (`RunResult.trace`): who or which CI job ran
 * it, which plan exactly (hash, commit, owner), what was running in the cluster (images and
 * digests at the start and at the end), which Kubernetes, which cases of the book, and where its
 * dashboard is. Plain JSON, filled by the runner and the CLI, read by the reporters.
 */

/** The CI job that ran crt, from the variables its CI system sets. */
export interface CiJob {
  system: 'GitHub Actions' | 'GitLab CI' | 'Jenkins';
  /** `workflow / job #run`, `job (pipeline 123)`, `job #build` */
  job: string;
  /** the job's page, when the CI gives its address */
  url: string | null;
  /** who triggered it, when the CI says */
  actor: string | null;
  /** the commit the CI checked out, when it says */
  commit: string | null;
  ref: string | null;
}

/** The plan file as it was run. */
export interface PlanTrace {
  /** sha256 (hex) of the plan file given to crt, as read */
  sha256: string;
  /** with `extends`: sha256 of the extended plan file */
  extendsSha256?: string;
  /** the git commit of the plan's folder; null when it is not in a git work tree (or git is absent) */
  git: { commit: string; dirty: boolean } | null;
  /** `metadata.owner`: who answers for this plan */
  owner: string | null;
}

/** One container of one pod, as its status reported it. */
export interface ContainerImage {
  namespace: string;
  /** the pod's owner (`Deployment`-like name with the ReplicaSet hash taken off, else `kind/name`), or the pod */
  workload: string;
  pod: string;
  container: string;
  /** the image as the pod spec asks for it (`registry/app:1.4`) */
  image: string;
  /** what the node runs (`registry/app@sha256:…`); empty when the runtime gives none */
  imageID: string;
}

export interface ImageSnapshot {
  /** ISO time of the read */
  at: string;
  containers: ContainerImage[];
  /** why the read failed (no rights to list pods…); containers is then empty */
  error?: string;
}

/** A workload's container whose images differ between the start and the end of the run. */
export interface ImageChange {
  namespace: string;
  workload: string;
  container: string;
  /** `image (imageID)` values, sorted */
  start: string[];
  end: string[];
}

export interface ImageRecord {
  namespaces: string[];
  start: ImageSnapshot;
  end: ImageSnapshot | null;
  changes: ImageChange[];
}

/** Which cases of the book (the plan) this run ran. */
export interface Coverage {
  selected: number;
  total: number;
  /** the plan's cases the selection left out, each with why */
  notSelected: Array<{ id: string; layer: string; why: string }>;
}

/** A link to the run's dashboard, from a template with the run's time range filled in. */
export interface DashboardLink {
  url: string;
  /** epoch ms of the range the link shows */
  fromMs: number;
  toMs: number;
}

export interface RunTrace {
  /** the person at the terminal (USER, LOGNAME); null under CI without one */
  operator: string | null;
  ci: CiJob | null;
  plan: PlanTrace;
  /** `v1.37.2` from the API server's /version; null without a cluster (or when it could not be read) */
  kubernetesVersion: string | null;
  /** images running in the plan's namespaces; null without a cluster */
  images: ImageRecord | null;
  coverage: Coverage;
}

/** Filled by a person or from `crt report --sign-off file.yaml`: the release decision on this run. */
export interface SignOff {
  preparedBy: string;
  reviewedBy: string;
  /** e.g. `accepted`, `accepted with deviations`, `rejected` */
  decision: string;
  date: string;
  /** deviations and known issues, one per line */
  deviations: string[];
}
