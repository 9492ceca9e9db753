import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../core/index.js';
import type { NotifyWebhookDoc } from '../plan/index.js';

export type NotifyFormat = NotifyWebhookDoc['format'];
export type NotifyWhen = NonNullable<NotifyWebhookDoc['on']>;

/** A webhook ready to be called: its URL is a secret (it is never written, only sent to). */
export interface NotifyTarget {
  /** how messages and warnings name it: `slack (urlEnv CRT_SLACK_WEBHOOK)`, never the URL */
  name: string;
  format: NotifyFormat;
  on: NotifyWhen;
  url: string;
  reportUrl?: string;
}

export interface ResolvedTargets {
  targets: NotifyTarget[];
  /** webhooks that cannot be called (their variable unset, their file unreadable): warned about, never fatal */
  warnings: string[];
}

const FORMATS: readonly NotifyFormat[] = ['slack', 'teams', 'json'];
const WHEN: readonly NotifyWhen[] = ['failure', 'always', 'change'];

/**
 * `--notify <format>:<env-var>[:<on>]`, e.g. `slack:CRT_SLACK_WEBHOOK:always`. The flag names the
 * variable that holds the URL, never the URL: a command line is seen by `ps` and recorded in run.json.
 */
export function parseNotifyFlag(flag: string): NotifyWebhookDoc {
  const hint = 'e.g. --notify slack:CRT_SLACK_WEBHOOK or --notify json:CRT_WEBHOOK_URL:always (formats slack, teams, json; on failure, always, change)';
  // the refusal does not repeat the flag: it holds the secret
  if (flag.includes('://')) throw new UsageError('--notify: name the environment variable that holds the webhook URL, not the URL (a command line is seen by ps and recorded in run.json)', { hint });
  const [format, urlEnv, on, ...rest] = flag.split(':');
  if (!FORMATS.includes(format as NotifyFormat)) throw new UsageError(`--notify ${flag}: the format must be one of ${FORMATS.join(', ')}`, { hint });
  if (!urlEnv || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(urlEnv)) throw new UsageError(`--notify ${flag}: name the environment variable that holds the webhook URL (the URL itself never goes on a command line)`, { hint });
  if (rest.length || (on !== undefined && !WHEN.includes(on as NotifyWhen))) throw new UsageError(`--notify ${flag}: when to send must be one of ${WHEN.join(', ')}`, { hint });
  return { format: format as NotifyFormat, urlEnv, ...(on ? { on: on as NotifyWhen } : {}) };
}

/**
 * The plan's `notify:` webhooks and the `--notify` ones, with their URLs read from the environment
 * or files. A webhook naming both or neither is a usage error (found before the run); one whose
 * variable is unset or whose file cannot be read is a warning: telling people must never keep a
 * run from running, nor change its exit code.
 */
export function resolveNotifyTargets(docs: readonly NotifyWebhookDoc[], env: Readonly<Record<string, string | undefined>>, baseDir: string): ResolvedTargets {
  const targets: NotifyTarget[] = [];
  const warnings: string[] = [];
  docs.forEach((doc, i) => {
    const where = `notify[${i}] (${doc.format})`;
    if ((doc.urlEnv === undefined) === (doc.urlFile === undefined)) {
      throw new UsageError(`${where}: set one of urlEnv or urlFile`, { hint: 'the webhook URL is a secret: it comes from an environment variable or a file, never from the plan' });
    }
    const name = doc.urlEnv !== undefined ? `${doc.format} (urlEnv ${doc.urlEnv})` : `${doc.format} (urlFile ${doc.urlFile})`;
    const url = doc.urlEnv !== undefined ? env[doc.urlEnv] || undefined : readUrlFile(path.resolve(baseDir, doc.urlFile!), warnings, name);
    if (doc.urlEnv !== undefined && !url) warnings.push(`notification ${name} will not be sent: ${doc.urlEnv} is not set`);
    if (!url) return;
    if (!/^https?:\/\/[^\s]+$/.test(url)) {
      warnings.push(`notification ${name} will not be sent: its URL is not an http(s) URL`);
      return;
    }
    targets.push({ name, format: doc.format, on: doc.on ?? 'failure', url, ...(doc.reportUrl ? { reportUrl: doc.reportUrl } : {}) });
  });
  return { targets, warnings };
}

function readUrlFile(file: string, warnings: string[], name: string): string | undefined {
  try {
    const url = readFileSync(file, 'utf8').trim();
    if (!url) warnings.push(`notification ${name} will not be sent: ${file} is empty`);
    return url || undefined;
  } catch (err) {
    warnings.push(`notification ${name} will not be sent: ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    return undefined;
  }
}
