import { outcomeOf, type RunResult } from '../results/index.js';
import { escapeHtml as h, escapeMarkdown as md } from './escape.js';

/**
 * The banner at the top of every report: the run's one outcome (results/outcome.ts), the same words
 * as the exit code and the last line `crt run` printed on stderr, then why, most serious first.
 */
export function outcomeBannerHtml(run: RunResult): string {
  const o = outcomeOf(run);
  const why = o.reasons.length ? `\n<ul class="outcome-reasons">${o.reasons.map((r) => `<li>${h(r)}</li>`).join('')}</ul>` : '';
  return `<div class="outcome ${o.status}" role="status" data-exit-code="${o.exitCode}"><p class="outcome-headline"><strong>${h(o.label)}</strong> ${h(o.headline.slice(o.label.length + 1))}</p>${why}</div>`;
}

export function outcomeBannerMarkdown(run: RunResult): string {
  const o = outcomeOf(run);
  const why = o.reasons.map((r) => `> - ${md(r, 'space')}`);
  return [`> **${md(o.label, 'space')}** ${md(o.headline.slice(o.label.length + 1), 'space')}`, ...(why.length ? ['>', ...why] : [])].join('\n');
}

/** Banner colours: the label is always written too, so print and colour-blind readers lose nothing. */
export const OUTCOME_CSS = `
.outcome { border-left: 6px solid; padding: 8px 12px; margin: 10px 0 14px; font-size: 1.1em; }
.outcome.passed { border-color: #1e7d32; background: #e8f5e9; }
.outcome.failed { border-color: #c62828; background: #fdecea; }
.outcome.interrupted { border-color: #b26a00; background: #fff4e5; }
.outcome.revert-failed { border-color: #6a1b9a; background: #f3e5f5; }
.outcome-headline { margin: 0; }
.outcome-reasons { margin: 4px 0 0; font-size: .9em; }
`;
