/**
 * The errors the Kubernetes API answers with, as apimachinery words them. The embedded cluster throws
 * and serves them; the selector parser (selectors.ts) throws them for an invalid selector.
 */

/** One field problem of an invalid object, as `Status.details.causes[]` carries it. */
export interface StatusCause {
  reason: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueDuplicate' | 'FieldValueForbidden' | 'FieldValueTooLong' | 'DisruptionBudget';
  message: string;
  /** JSON-path-like location, e.g. `spec.template.spec.containers[0].image`; absent when no field is at fault (an eviction refused). */
  field?: string;
}

/** `meta.k8s.io/v1` Status, the body of every error response. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code: number;
}

/**
 * An error the API answers with. Thrown by the store, validation, selectors and patches; the HTTP layer
 * turns it into a Status response with its code.
 */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Status['details'],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Status {
    return {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: this.message, reason: this.reason, code: this.code,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}
