import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { faultNamespace, type CaseSpec, type Plan, type Selection } from '../plan/index.js';
import { FALLBACK_NAMESPACE } from '../kube/index.js';
import type { CiJob, Coverage, PlanTrace, RunTrace } from '../results/index.js';

/**
 * What traces a run to a person or CI job and to the exact plan, gathered before the run starts
 * (the cluster's side, images and Kubernetes version, is read by cluster-trace.ts). Read from the
 * environment the CLI passes, never from `process.env` directly, so tests give their own.
 */

const exec = promisify(execFile);
const GIT_TIMEOUT_MS = 5_000;

/** The CI job, from the variables GitHub Actions, GitLab CI and Jenkins set; null outside CI (or another CI). */
export function ciJob(env: NodeJS.ProcessEnv): CiJob | null {
  const v = (k: string): string | null => env[k] || null;
  if (env.GITHUB_ACTIONS === 'true') {
    const server = v('GITHUB_SERVER_URL') ?? 'https://github.com';
    const repo = v('GITHUB_REPOSITORY');
    const runId = v('GITHUB_RUN_ID');
    const attempt = v('GITHUB_RUN_ATTEMPT');
    const job = [v('GITHUB_WORKFLOW'), v('GITHUB_JOB')].filter(Boolean).join(' / ') || 'workflow';
    return {
      system: 'GitHub Actions',
      job: `${job}${v('GITHUB_RUN_NUMBER') ? ` #${v('GITHUB_RUN_NUMBER')}` : ''}${repo ? ` (${repo})` : ''}`,
      url: repo && runId ? `${server}/${repo}/actions/runs/${runId}${attempt && attempt !== '1' ? `/attempts/${attempt}` : ''}` : null,
      actor: v('GITHUB_TRIGGERING_ACTOR') ?? v('GITHUB_ACTOR'), commit: v('GITHUB_SHA'), ref: v('GITHUB_REF_NAME') ?? v('GITHUB_REF'),
    };
  }
  if (env.GITLAB_CI === 'true') {
    const pipeline = v('CI_PIPELINE_ID');
    return {
      system: 'GitLab CI',
      job: `${v('CI_JOB_NAME') ?? 'job'}${v('CI_JOB_ID') ? ` #${v('CI_JOB_ID')}` : ''}${pipeline ? ` (pipeline ${pipeline}${v('CI_PROJECT_PATH') ? ` of ${v('CI_PROJECT_PATH')}` : ''})` : ''}`,
      url: v('CI_JOB_URL') ?? v('CI_PIPELINE_URL'),
      actor: v('GITLAB_USER_LOGIN') ?? v('GITLAB_USER_NAME'), commit: v('CI_COMMIT_SHA'), ref: v('CI_COMMIT_REF_NAME'),
    };
  }
  if (v('JENKINS_URL') || v('JENKINS_HOME')) {
    return {
      system: 'Jenkins',
      job: `${v('JOB_NAME') ?? 'job'}${v('BUILD_NUMBER') ? ` #${v('BUILD_NUMBER')}` : ''}`,
      url: v('BUILD_URL'),
      // BUILD_USER_ID is set by the build-user-vars plugin only
      actor: v('BUILD_USER_ID') ?? v('BUILD_USER'), commit: v('GIT_COMMIT'), ref: v('GIT_BRANCH') ?? v('BRANCH_NAME'),
    };
  }
  return null;
}

/** The person at the terminal: USER, else LOGNAME; null when neither is set (many CI containers). */
export function operatorOf(env: NodeJS.ProcessEnv): string | null {
  return env.USER || env.LOGNAME || null;
}

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

/**
 * The commit the plan's folder is at, and whether that folder has changes not committed (the plan
 * run may then differ from the commit); null when it is not in a git work tree or git is absent.
 */
export async function gitCommit(dir: string): Promise<{ commit: string; dirty: boolean } | null> {
  try {
    const head = await exec('git', ['-C', dir, 'rev-parse', 'HEAD'], { timeout: GIT_TIMEOUT_MS });
    const status = await exec('git', ['-C', dir, 'status', '--porcelain', '--', '.'], { timeout: GIT_TIMEOUT_MS });
    return { commit: head.stdout.trim(), dirty: status.stdout.trim() !== '' };
  } catch {
    return null;
  }
}

/** The plan as run: its file's sha256 (and the extended plan's), the commit of its folder, its owner. */
export async function planTrace(plan: Plan): Promise<PlanTrace> {
  const given = path.resolve(plan.display);
  return {
    sha256: await sha256Of(given),
    ...(plan.extends ? { extendsSha256: await sha256Of(plan.file) } : {}),
    git: await gitCommit(path.dirname(given)),
    owner: plan.owner,
  };
}

/**
 * Which cases of the book ran: with `extends`, the book is the extended plan (`book`); otherwise
 * the plan itself. Each case left out says why: the plan's `select`, or the command line's flags.
 */
export function coverage(plan: Plan, book: Plan | null, selected: readonly CaseSpec[], sel: Selection): Coverage {
  const all = book?.cases ?? plan.cases;
  const inPlan = new Set(plan.cases.map((c) => c.id));
  const ran = new Set(selected.map((c) => c.id));
  const notSelected = all.filter((c) => !ran.has(c.id)).map((c) => ({ id: c.id, layer: c.layer, why: whyLeftOut(c, inPlan.has(c.id), sel, plan) }));
  return { selected: selected.length, total: all.length, notSelected };
}

function whyLeftOut(c: CaseSpec, inPlan: boolean, sel: Selection, plan: Plan): string {
  if (!inPlan) return `not selected by ${plan.display} (its select: of ${plan.extends ?? 'the extended plan'})`;
  const why: string[] = [];
  if (sel.only.length && !sel.only.includes(c.id)) why.push(`not in --only ${sel.only.join(',')}`);
  if (sel.layers.length && !sel.layers.includes(c.layer)) why.push(`layer ${c.layer} not in --layer ${sel.layers.join(',')}`);
  if (sel.tags.length && !c.tags.some((t) => sel.tags.includes(t))) why.push(`no tag in --tags ${sel.tags.join(',')}`);
  const excluded = c.tags.filter((t) => sel.excludeTags.includes(t));
  if (excluded.length) why.push(`tag ${excluded.join(', ')} excluded by --exclude-tags`);
  return why.join('; ') || 'not selected';
}

/**
 * The namespaces whose images the run records: `cluster.namespaces` when the plan lists them, else
 * those its faults act in and its Service targets live in (the kubeconfig context's when none says).
 */
export function planNamespaces(plan: Plan, cases: readonly CaseSpec[], contextNamespace: string = FALLBACK_NAMESPACE): string[] {
  if (plan.cluster?.namespaces?.length) return [...plan.cluster.namespaces];
  const out = new Set<string>();
  for (const c of cases) for (const a of c.trigger) {
    const ns = faultNamespace(a, contextNamespace);
    if (ns) out.add(ns.namespace);
  }
  for (const t of Object.values(plan.targets)) {
    const ns = t.service?.includes('/') ? t.service.split('/')[0] : undefined;
    if (ns) out.add(ns);
  }
  return out.size ? [...out].sort() : [contextNamespace];
}

/** What the CLI knows before the run: who, which CI job, which plan, which cases. The cluster's part is added by the runner. */
export async function traceBeforeRun(plan: Plan, book: Plan | null, cases: readonly CaseSpec[], sel: Selection, env: NodeJS.ProcessEnv): Promise<Omit<RunTrace, 'kubernetesVersion' | 'images'>> {
  return { operator: operatorOf(env), ci: ciJob(env), plan: await planTrace(plan), coverage: coverage(plan, book, cases, sel) };
}
