import { Type, type Static, type TSchema, type TObject, type TProperties, type TUnion } from '@sinclair/typebox';

/**
 * Building blocks of the plan and scenario schemas. The schema is the single source of truth:
 * the document types are `Static<>` of it and `test-plans/plan.schema.json` is generated from it
 * (a unit test fails when the published file is stale).
 *
 * `x-expected` is an annotation crt's error formatter shows when a value matches none of the
 * alternatives of a union ("must be a duration like 200ms, or {max: 200ms}").
 */

export const Duration = Type.String({
  format: 'duration',
  description: 'A duration: 500ms, 30s, 2m30s, 1h (or 0)',
});
export const DurationOrZero = Type.Union([Duration, Type.Literal(0)], {
  'x-expected': 'a duration such as 30s, 2m30s or 500ms',
});
export const Percent = Type.String({ format: 'percent', description: 'A percentage: 1%, 0.5%, 99.9%' });
export const NonEmptyString = Type.String({ minLength: 1 });

/** An RFC 9110 token: what a header name may be (a space or a colon in one breaks every request). */
export const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
/** RFC 9110 field-value: no control character but tab, so no CR/LF that would start another header. */
export const HEADER_VALUE_PATTERN = '^[^\\x00-\\x08\\x0a-\\x1f\\x7f]*$';

/** Request headers: names are RFC 9110 tokens, values hold no CR, LF, NUL or other control character. */
export function headerMap(description?: string) {
  return Type.Record(
    Type.String({ pattern: HEADER_NAME_PATTERN }),
    Type.String({ pattern: HEADER_VALUE_PATTERN, 'x-expected': 'a header value without CR, LF, NUL or other control characters' }),
    { additionalProperties: false, ...(description ? { description } : {}) },
  );
}

/**
 * An http(s) URL crt can connect to. The `^https?://` pattern is kept for editors (they ignore
 * crt's formats); the `http-url` format adds what a pattern cannot say: a valid host, a port in 1–65535.
 */
export function httpUrl(description?: string, pattern = '^https?://') {
  return Type.String({ pattern, format: 'http-url', ...(description ? { description } : {}) });
}
export const StringMap = Type.Record(Type.String(), Type.String());
export const Selector = Type.String({
  minLength: 1,
  description: 'A Kubernetes label selector, e.g. app=gateway or app in (a,b),tier!=db',
});

/** The JSON Schema dialect of the published schemas: the one yaml-language-server and most editors read. */
export const JSON_SCHEMA_DRAFT = 'http://json-schema.org/draft-07/schema#';

/** `$id` of a published schema (`test-plans/<name>.schema.json`). */
export function schemaId(name: 'plan' | 'scenario' | 'chaos'): string {
  return `https://crt.io/schemas/v1/${name}.schema.json`;
}

export interface ObjectOptions {
  description?: string;
  title?: string;
  $id?: string;
  $schema?: string;
  definitions?: Record<string, TSchema>;
  minProperties?: number;
}

export function strictObject<T extends TProperties>(properties: T, options: ObjectOptions = {}): TObject<T> {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/**
 * A reference to a part published once under the plan schema's `definitions` (a case, a load, a
 * probe...), typed as that part: without it the published file repeats each case three times
 * over. With a description the reference is wrapped in `allOf`, since draft-07 ignores the
 * siblings of `$ref`.
 */
export function definitionRef<T extends TSchema>(name: string, _part: T, description?: string) {
  const ref = { $ref: `#/definitions/${name}` };
  return Type.Unsafe<Static<T>>(description ? { description, allOf: [ref] } : ref);
}

/** A duration field with its own description (the shared `Duration` says only what a duration is). */
export function duration(description: string) {
  return Type.String({ format: 'duration', description });
}

/** A bound on a measured value: a bare value means "at most"; or `{max: x}`, `{min: x}`, or both. */
export function threshold<T extends TSchema>(value: T, what: string, description?: string) {
  const bounds = Type.Object(
    { max: Type.Optional(value), min: Type.Optional(value) },
    { additionalProperties: false, minProperties: 1 },
  );
  return Type.Union([value, bounds], { 'x-expected': `${what}, or {max: …} / {min: …}`, ...(description ? { description } : {}) });
}

/** A bound that only makes sense as an object (`rps: {min: 100}`): a bare number would be ambiguous. */
export function boundsOnly<T extends TSchema>(value: T, description?: string) {
  return Type.Object(
    { max: Type.Optional(value), min: Type.Optional(value) },
    {
      additionalProperties: false,
      minProperties: 1,
      'x-expected': 'a map such as {min: 100}, {max: 500} or both: a bare number would not say which',
      ...(description ? { description } : {}),
    },
  );
}

/**
 * A union discriminated by `tag` (Ajv's `discriminator` keyword), so that an unknown kind gives
 * one clear error ("must be one of pod-kill, node-drain, …") and a known kind is checked
 * against its own branch only.
 */
export function tagged<T extends TObject[]>(tag: string, branches: [...T], description: string, options: ObjectOptions = {}) {
  return Type.Unsafe<Static<TUnion<T>>>({
    ...options,
    type: 'object',
    description,
    discriminator: { propertyName: tag },
    required: [tag],
    oneOf: branches,
  });
}

export const HttpMethod = Type.Union(
  ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].map((m) => Type.Literal(m)),
  { 'x-expected': 'an HTTP method: GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS' },
);

/** `200`, `"2xx"`, `"200-299"` */
export const StatusMatch = Type.Union(
  [Type.Integer({ minimum: 100, maximum: 599 }), Type.String({ pattern: '^([1-5]xx|[1-5][0-9]{2}(-[1-5][0-9]{2})?)$' })],
  { 'x-expected': 'an HTTP status such as 200, a class such as 2xx, or a range such as 200-299' },
);
