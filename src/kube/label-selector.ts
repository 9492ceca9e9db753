import type { V1LabelSelector, V1LabelSelectorRequirement } from '@kubernetes/client-node';
import { parseLabelSelector, type Requirement } from './selectors.js';

/**
 * A label selector string (`app=gateway,tier in (a,b)`) as the `metav1.LabelSelector` object that
 * NetworkPolicies and PDBs hold. Parsed by the apimachinery-compatible parser of selectors.ts
 * (client-node has none), which the embedded API server uses too, so crt and the API server agree
 * on the syntax and its error messages.
 */
export function labelSelectorObject(text: string): V1LabelSelector {
  const parsed = parseLabelSelector(text);
  const matchLabels: Record<string, string> = {};
  const matchExpressions: V1LabelSelectorRequirement[] = [];
  for (const r of parsed.requirements) {
    if ((r.operator === '=' || r.operator === '==') && r.values.length === 1) matchLabels[r.key] = r.values[0] as string;
    else matchExpressions.push(requirementObject(r));
  }
  return { ...(Object.keys(matchLabels).length ? { matchLabels } : {}), ...(matchExpressions.length ? { matchExpressions } : {}) };
}

/**
 * The selectors whose union matches exactly the pods `text` does not match: a conjunction of
 * requirements negates into one selector per requirement, each with the opposite operator (`In` ↔
 * `NotIn`, `Exists` ↔ `DoesNotExist`). NetworkPolicy peers are a union, so these are its peers.
 */
export function negatedSelectors(text: string): V1LabelSelector[] {
  const parsed = parseLabelSelector(text);
  if (parsed.requirements.length === 0) return [];
  return parsed.requirements.map((r) => {
    const req = requirementObject(r);
    const opposite: Record<string, string> = { In: 'NotIn', NotIn: 'In', Exists: 'DoesNotExist', DoesNotExist: 'Exists' };
    return { matchExpressions: [{ ...req, operator: opposite[req.operator] as string }] };
  });
}

function requirementObject(r: Requirement): V1LabelSelectorRequirement {
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return { key: r.key, operator: 'In', values: [...r.values] };
    case '!=':
    case 'notin':
      return { key: r.key, operator: 'NotIn', values: [...r.values] };
    case 'exists':
      return { key: r.key, operator: 'Exists' };
    case '!':
      return { key: r.key, operator: 'DoesNotExist' };
    default:
      throw new Error(`label selector operator ${r.operator} (in ${r.key}) has no metav1.LabelSelector form`);
  }
}
