/**
 * coordination.k8s.io/v1 Leases as the real API server decodes, validates and prints them
 * (`apimachinery/pkg/apis/meta/v1/micro_time.go`, `pkg/apis/coordination/validation`, `printers.go`).
 */
import { ApiError, type KObject, type StatusCause, type TableColumn } from './types.js';
import { invalid } from './object-validation.js';

export const LEASES = 'coordination.k8s.io/leases';

/** Go's layout of MicroTime (`metav1.RFC3339Micro`), named in decoding errors as the server names it. */
const RFC3339_MICRO = '2006-01-02T15:04:05.000000Z07:00';
const MICRO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{6})(Z|[+-]\d{2}:\d{2})$/;
const MICRO_FIELDS = ['acquireTime', 'renewTime'] as const;

/**
 * The decoding the server does before anything else: a MicroTime must have exactly six fractional digits
 * (a JavaScript `Date` serialised as `…:05.123Z` is a 400, as on a real cluster), and is stored in UTC,
 * as MicroTime.MarshalJSON writes it back.
 */
export function decodeLeaseTimes(obj: KObject): void {
  const spec = obj.spec as Record<string, unknown> | undefined;
  if (!spec || typeof spec !== 'object') return;
  for (const field of MICRO_FIELDS) {
    const value = spec[field];
    if (value === undefined || value === null) continue;
    const m = typeof value === 'string' ? MICRO.exec(value) : null;
    if (!m) throw new ApiError(400, 'BadRequest', `Lease in version "v1" cannot be handled as a Lease: ${parseError(value)}`);
    const [, seconds, micros, zone] = m as unknown as [string, string, string, string];
    const ms = Date.parse(`${seconds}${zone}`);
    if (Number.isNaN(ms)) throw new ApiError(400, 'BadRequest', `Lease in version "v1" cannot be handled as a Lease: parsing time ${JSON.stringify(value)}: month or day out of range`);
    spec[field] = `${new Date(ms).toISOString().slice(0, 19)}.${micros}Z`;
  }
}

function parseError(value: unknown): string {
  if (typeof value !== 'string') return `json: cannot unmarshal ${typeof value === 'number' ? 'number' : typeof value} into Go value of type string`;
  const head = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.exec(value);
  const rest = head ? value.slice(head[0].length) : value;
  return `parsing time ${JSON.stringify(value)} as ${JSON.stringify(RFC3339_MICRO)}: cannot parse ${JSON.stringify(rest)} as ${JSON.stringify(head ? '.000000' : '2006')}`;
}

/** ValidateLeaseSpec: a positive duration, no negative transitions. */
export function validateLease(obj: KObject): StatusCause[] {
  const spec: Record<string, unknown> = obj.spec ?? {};
  const causes: StatusCause[] = [];
  const duration = spec.leaseDurationSeconds;
  if (duration !== undefined && duration !== null && (typeof duration !== 'number' || duration <= 0)) causes.push(invalid('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
  const transitions = spec.leaseTransitions;
  if (transitions !== undefined && transitions !== null && (typeof transitions !== 'number' || transitions < 0)) causes.push(invalid('spec.leaseTransitions', transitions, 'must be greater than or equal to 0'));
  return causes;
}

/** kubectl's Lease column between Name and Age (printers.go). */
export const leaseColumns: TableColumn[] = [
  { name: 'Holder', type: 'string', format: '', priority: 0, description: 'holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field.' },
];

export function leaseCells(lease: Record<string, any>): unknown[] {
  return [typeof lease.spec?.holderIdentity === 'string' ? lease.spec.holderIdentity : ''];
}
