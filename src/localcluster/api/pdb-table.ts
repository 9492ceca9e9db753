import type { TableColumn } from './types.js';

/** kubectl's PodDisruptionBudget columns between Name and Age (printers.go). */
export const pdbColumns: TableColumn[] = [
  { name: 'Min Available', type: 'string', format: '', priority: 0, description: 'The minimum number of pods that must be available, either as an absolute number or a percentage.' },
  { name: 'Max Unavailable', type: 'string', format: '', priority: 0, description: 'The maximum number of pods that may be unavailable, either as an absolute number or a percentage.' },
  { name: 'Allowed Disruptions', type: 'integer', format: '', priority: 0, description: 'Number of pod disruptions that are currently allowed.' },
];

/** The cells of pdbColumns: `N/A` for the bound a budget does not set, as printPodDisruptionBudget. */
export function pdbCells(pdb: Record<string, any>): unknown[] {
  const bound = (v: unknown): string => (typeof v === 'number' || typeof v === 'string' ? String(v) : 'N/A');
  return [bound(pdb.spec?.minAvailable), bound(pdb.spec?.maxUnavailable), pdb.status?.disruptionsAllowed ?? 0];
}
