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

// the Status an API error answers with: kube/ owns it, with the selector syntax that throws it
export { ApiError, type Status, type StatusCause } from '../../kube/index.js';

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
