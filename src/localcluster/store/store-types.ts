import { ApiError, type KObject, type ResourceType } from '../api/index.js';

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface WatchOptions extends ListOptions {
  resourceVersion?: string;
}

export interface ListResult {
  items: KObject[];
  resourceVersion: string;
  continue?: string;
}

export interface WriteOptions {
  dryRun?: boolean;
  /** `status` writes only the status; otherwise the status of a resource with a status subresource is kept. */
  subresource?: string;
  /** Keep the status given on create (the cluster registering its own nodes). */
  keepStatus?: boolean;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

/** A plug-in that completes or checks objects before they are stored (e.g. Service IP allocation). */
export interface Admission {
  /** Called before a new object is stored; may change it or throw an ApiError. */
  create?(obj: KObject, opts: WriteOptions): void;
  /** Called before an update is stored. */
  update?(obj: KObject, old: KObject, opts: WriteOptions): void;
  /** Called after an object is removed (release what create took). */
  delete?(obj: KObject): void;
}

export function notFound(resource: ResourceType, name: string): ApiError {
  const what = resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
  return new ApiError(404, 'NotFound', `${what} "${name}" not found`, { name, group: resource.group, kind: resource.plural });
}
