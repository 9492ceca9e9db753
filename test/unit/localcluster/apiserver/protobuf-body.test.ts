import { expect } from 'chai';
import protobuf from 'protobufjs';
import { ApiError } from '../../../../src/localcluster/api/types.js';
import { decodeProtobufBody } from '../../../../src/localcluster/apiserver/protobuf-body.js';

const LEN = 2;
const field = (w: protobuf.Writer, n: number, wire: number): protobuf.Writer => w.uint32((n << 3) | wire);

/** runtime.Unknown {typeMeta, raw} behind the `k8s\0` magic, as client-go's protobuf serializer writes it. */
function envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const typeMeta = field(field(protobuf.Writer.create(), 1, LEN).string(apiVersion), 2, LEN).string(kind).finish();
  const unknown = field(field(protobuf.Writer.create(), 1, LEN).bytes(typeMeta), 2, LEN).bytes(raw);
  field(unknown, 4, LEN).string('');
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown.finish()]);
}

function deleteOptions(): Uint8Array {
  const pre = field(field(protobuf.Writer.create(), 1, LEN).string('uid-1'), 2, LEN).string('42').finish();
  const w = field(protobuf.Writer.create(), 1, 0).int64(30);
  field(w, 2, LEN).bytes(pre);
  field(w, 4, LEN).string('Foreground');
  field(w, 5, LEN).string('All');
  return w.finish();
}

const apiError = (fn: () => unknown): ApiError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
};

describe('protobuf request bodies', () => {
  it('decodes a policy/v1 Eviction with its metadata and deleteOptions, skipping fields it does not know', () => {
    const meta = protobuf.Writer.create();
    field(meta, 1, LEN).string('web-1');
    field(meta, 3, LEN).string('demo');
    field(meta, 11, LEN).bytes(field(field(protobuf.Writer.create(), 1, LEN).string('app'), 2, LEN).string('web').finish()); // a label, skipped
    const eviction = field(field(protobuf.Writer.create(), 1, LEN).bytes(meta.finish()), 2, LEN).bytes(deleteOptions()).finish();
    expect(decodeProtobufBody(envelope('policy/v1', 'Eviction', eviction))).to.deep.equal({
      apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-1', namespace: 'demo' },
      deleteOptions: { gracePeriodSeconds: 30, preconditions: { uid: 'uid-1', resourceVersion: '42' }, propagationPolicy: 'Foreground', dryRun: ['All'] },
    });
  });

  it('decodes meta/v1 DeleteOptions alone, orphanDependents included', () => {
    const raw = field(protobuf.Writer.create(), 3, 0).bool(true).finish();
    expect(decodeProtobufBody(envelope('meta.k8s.io/v1', 'DeleteOptions', raw))).to.deep.equal({ apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions', orphanDependents: true });
  });

  it('answers 415 naming the JSON types for a kind it does not decode', () => {
    const err = apiError(() => decodeProtobufBody(envelope('v1', 'Pod', new Uint8Array())));
    expect(err.code).to.equal(415);
    expect(err.message).to.include('application/json').and.include('not v1 Pod');
  });

  it('answers 415 for a body without the k8s magic', () => {
    expect(apiError(() => decodeProtobufBody(Buffer.from('{}'))).code).to.equal(415);
  });

  it('answers 400 for a truncated message', () => {
    const raw = field(protobuf.Writer.create(), 1, LEN).bytes(Buffer.from('abcdef')).finish().subarray(0, 4);
    expect(apiError(() => decodeProtobufBody(envelope('policy/v1', 'Eviction', raw))).code).to.equal(400);
  });
});
