import protobuf from 'protobufjs';
import { ApiError } from '../api/index.js';

const { Reader } = protobuf;
type ProtoReader = InstanceType<typeof Reader>;

/** The 4-byte prefix of every Kubernetes protobuf body (`k8s\0`), before the runtime.Unknown envelope. */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** The kinds whose protobuf bodies the embedded cluster decodes (client-go's typed clients send them). */
const DECODERS: Record<string, (r: ProtoReader, end: number) => Record<string, unknown>> = {
  'policy/v1 Eviction': readEviction,
  'meta.k8s.io/v1 DeleteOptions': readDeleteOptions,
  'v1 DeleteOptions': readDeleteOptions,
};

/** The 415 for a protobuf body the cluster cannot read: clients that fall back to JSON then do so. */
export function unsupportedProtobuf(what: string): ApiError {
  return new ApiError(415, 'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json, application/strategic-merge-patch+json, application/json-patch+json (protobuf is decoded only for policy/v1 Eviction and meta.k8s.io/v1 DeleteOptions, not ${what})`);
}

/**
 * Decodes an `application/vnd.kubernetes.protobuf` body into the JSON object it stands for: the `k8s\0`
 * magic, a runtime.Unknown envelope (typeMeta, raw, contentEncoding, contentType) and, in `raw`, the
 * message of one of the few kinds kubectl sends as protobuf (an Eviction, DeleteOptions).
 */
export function decodeProtobufBody(body: Buffer): Record<string, unknown> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) throw unsupportedProtobuf('a body without the k8s protobuf prefix');
  const envelope = readUnknown(Reader.create(body.subarray(MAGIC.length)));
  const typeName = `${envelope.apiVersion} ${envelope.kind}`;
  const decode = DECODERS[typeName];
  if (!decode) throw unsupportedProtobuf(typeName.trim() || 'a body without a type');
  if (envelope.contentEncoding) throw unsupportedProtobuf(`contentEncoding ${envelope.contentEncoding}`);
  const raw = Reader.create(envelope.raw);
  try {
    return { apiVersion: envelope.apiVersion, kind: envelope.kind, ...decode(raw, raw.len) };
  } catch (err) {
    throw new ApiError(400, 'BadRequest', `the body of the request was not a valid ${typeName}: ${(err as Error).message}`);
  }
}

interface Unknown { apiVersion: string; kind: string; raw: Uint8Array; contentEncoding: string }

/** k8s.io/apimachinery/pkg/runtime.Unknown: 1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType. */
function readUnknown(r: ProtoReader): Unknown {
  const out: Unknown = { apiVersion: '', kind: '', raw: new Uint8Array(), contentEncoding: '' };
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      switch (tag >>> 3) {
        case 1: {
          const end = r.uint32() + r.pos;
          fields(r, end, (field) => {
            if (field === 1) out.apiVersion = r.string();
            else if (field === 2) out.kind = r.string();
            else return false;
            return true;
          });
          break;
        }
        case 2: out.raw = r.bytes(); break;
        case 3: out.contentEncoding = r.string(); break;
        default: r.skipType(tag & 7);
      }
    }
  } catch (err) {
    throw new ApiError(400, 'BadRequest', `the body of the request was not a valid protobuf envelope: ${(err as Error).message}`);
  }
  return out;
}

/** policy/v1 Eviction: 1 metadata (ObjectMeta), 2 deleteOptions. */
function readEviction(r: ProtoReader, end: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  fields(r, end, (field) => {
    if (field === 1) out.metadata = readObjectMeta(r, r.uint32() + r.pos);
    else if (field === 2) out.deleteOptions = readDeleteOptions(r, r.uint32() + r.pos);
    else return false;
    return true;
  });
  return out;
}

/** ObjectMeta, the fields an Eviction needs: 1 name, 3 namespace, 5 uid, 6 resourceVersion. */
function readObjectMeta(r: ProtoReader, end: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const names: Record<number, string> = { 1: 'name', 2: 'generateName', 3: 'namespace', 5: 'uid', 6: 'resourceVersion' };
  fields(r, end, (field) => {
    const key = names[field];
    if (!key) return false;
    out[key] = r.string();
    return true;
  });
  return out;
}

/** meta/v1 DeleteOptions: 1 gracePeriodSeconds, 2 preconditions {1 uid, 2 resourceVersion}, 3 orphanDependents, 4 propagationPolicy, 5 dryRun. */
function readDeleteOptions(r: ProtoReader, end: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const dryRun: string[] = [];
  fields(r, end, (field) => {
    if (field === 1) out.gracePeriodSeconds = int64(r);
    else if (field === 2) out.preconditions = readPreconditions(r, r.uint32() + r.pos);
    else if (field === 3) out.orphanDependents = r.bool();
    else if (field === 4) out.propagationPolicy = r.string();
    else if (field === 5) dryRun.push(r.string());
    else return false;
    return true;
  });
  if (dryRun.length) out.dryRun = dryRun;
  return out;
}

function readPreconditions(r: ProtoReader, end: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  fields(r, end, (field) => {
    if (field === 1) out.uid = r.string();
    else if (field === 2) out.resourceVersion = r.string();
    else return false;
    return true;
  });
  return out;
}

/** An int64 as a number (protobufjs gives a Long when the `long` package is installed). */
function int64(r: ProtoReader): number {
  const v: unknown = r.int64();
  return typeof v === 'number' ? v : (v as { toNumber(): number }).toNumber();
}

/** Reads tags up to `end`, letting `read` consume the fields it knows (true) and skipping the others. */
function fields(r: ProtoReader, end: number, read: (field: number) => boolean): void {
  while (r.pos < end) {
    const tag = r.uint32();
    if (!read(tag >>> 3)) r.skipType(tag & 7);
  }
  if (r.pos !== end) throw new Error('a field overruns its message');
}
