/** Label of everything a run creates in a cluster (DESIGN.md): policies, journals, a distributed load's pods. */
export const RUN_ID_LABEL = 'crt.io/run-id';

/** A label value: at most 63 characters of [A-Za-z0-9_.-], alphanumeric at both ends. */
export function labelValue(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') || 'x';
}
