import { UsageError } from '../core/index.js';
import { LAYERS } from '../vocabulary/index.js';
import { closest } from './suggest.js';
import type { CaseSpec, Plan } from './types.js';

export interface Selection {
  /** case ids (`--only`) */
  only: string[];
  /** a case is selected when it has any of these tags (`--tags`) */
  tags: string[];
  /** cases with any of these tags are left out (`--exclude-tags`) */
  excludeTags: string[];
  layers: string[];
}

export const selectAll: Selection = { only: [], tags: [], excludeTags: [], layers: [] };

/** The plan's cases kept by the selection, in plan order. Unknown ids or layers are usage errors. */
export function selectCases(plan: Plan, sel: Selection): CaseSpec[] {
  const ids = plan.cases.map((c) => c.id);
  for (const id of sel.only) {
    if (!ids.includes(id)) {
      const guess = closest(id, ids);
      throw new UsageError(`--only ${id}: no case with this id in ${plan.display}`, { hint: guess ? `did you mean ${guess}?` : `cases are ${ids.join(', ')}` });
    }
  }
  for (const layer of sel.layers) {
    if (!(LAYERS as readonly string[]).includes(layer)) {
      throw new UsageError(`--layer ${layer}: unknown layer`, { hint: `layers are ${LAYERS.join(', ')}` });
    }
  }
  return plan.cases.filter(
    (c) =>
      (sel.only.length === 0 || sel.only.includes(c.id)) &&
      (sel.layers.length === 0 || sel.layers.includes(c.layer)) &&
      (sel.tags.length === 0 || c.tags.some((t) => sel.tags.includes(t))) &&
      !c.tags.some((t) => sel.excludeTags.includes(t)),
  );
}
