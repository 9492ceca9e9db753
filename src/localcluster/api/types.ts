/**
 * The shapes the embedded cluster stores and serves. Objects are plain Kubernetes JSON: the API server
 * stores what clients send (after validation and defaults), so these types only name the parts the
 * cluster itself reads.
 */

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

/** Any stored object. `spec`/`status` stay loosely typed: each controller narrows what it reads. */
export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: any;
  status?: any;
  [key: string]: unknown;
}

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

/** `meta.k8s.io/v1` Table, served when a client (kubectl) asks for `as=Table`. */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  /** 0 = shown by default; 1 = shown with `-o wide`. */
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  /** The object (or its PartialObjectMetadata), as `includeObject` asks. */
  object?: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string };
  columnDefinitions: TableColumn[];
  rows: TableRow[];
}
