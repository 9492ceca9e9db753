import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { displayPath } from './yaml-source.js';

/**
 * The limits on what crt reads for a plan: a plan (or scenario, chaos file) is a regular file of
 * at most 5 MiB, UTF-8, that does not expand beyond 20 MiB; files it names for the run (manifests,
 * scripts, credentials) are regular files under the same size limit.
 */

const MIB = 1024 * 1024;
/** The largest plan, scenario or chaos file crt reads: far above any real plan, far below what would hurt. */
export const MAX_FILE_BYTES = 5 * MIB;
/** The largest a file (or a whole plan, scenario files inlined) may grow once aliases are resolved. */
export const MAX_EXPANDED_BYTES = 20 * MIB;

type ReadResult = { text: string } | { problem: { message: string; hint?: string; line?: number; col?: number }; missing?: boolean };

/**
 * Reads a YAML file crt was pointed at, refusing before reading what would hang or exhaust memory
 * (a device such as /dev/zero, a FIFO, a file over MAX_FILE_BYTES) and, after reading, bytes that
 * are not UTF-8 (a UTF-16 or Latin-1 file), with a hint to convert it.
 */
export function readPlanFile(abs: string, what: string): ReadResult {
  const shown = displayPath(abs);
  let fd: number;
  try {
    // stat first: opening a FIFO would wait for a writer
    if (!statSync(abs).isFile()) return { problem: { message: `${what} ${shown} is not a regular file`, hint: 'crt reads plans, scenarios and chaos files from ordinary files' } };
    fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { problem: { message: `${what} not found: ${shown}` }, missing: true };
    return { problem: { message: `cannot read ${what} ${shown}: ${code ?? String(err)}` } };
  }
  try {
    // the size of what was opened (the path may have been swapped since the stat), and never more than the limit read
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { problem: { message: `${what} ${shown} is not a regular file`, hint: 'crt reads plans, scenarios and chaos files from ordinary files' } };
    if (stat.size > MAX_FILE_BYTES) return { problem: tooBig(what, shown, stat.size) };
    const buf = Buffer.allocUnsafe(MAX_FILE_BYTES + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buf.length; length += n) n = readSync(fd, buf, length, buf.length - length, null);
    if (length > MAX_FILE_BYTES) return { problem: tooBig(what, shown, length) };
    return decode(buf.subarray(0, length), what);
  } finally {
    closeSync(fd);
  }
}

function tooBig(what: string, shown: string, bytes: number): { message: string; hint: string } {
  const size = bytes > MIB ? `${(bytes / MIB).toFixed(1)} MiB` : `${bytes} bytes`;
  return { message: `${what} ${shown} is ${size}: crt reads files of at most ${MAX_FILE_BYTES / MIB} MiB`, hint: 'is it the file you meant? a plan is a few kilobytes; a large request body belongs in the service\'s fixtures' };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const convertHint = (from: string) => `save the file as UTF-8 (e.g. iconv -f ${from} -t UTF-8, or "Save with encoding: UTF-8" in the editor)`;

/** UTF-8 text, or where and why it is not: a UTF-16 file (BOM, NUL bytes), another 8-bit encoding. */
function decode(bytes: Buffer, what: string): ReadResult {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { problem: { message: `the ${what} is UTF-16 (it starts with a byte order mark): crt reads UTF-8`, hint: convertHint('UTF-16') } };
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    return { problem: { ...positionOf(bytes, nul), message: `the ${what} holds NUL bytes: is it UTF-16? crt reads UTF-8`, hint: convertHint('UTF-16') } };
  }
  try {
    return { text: UTF8.decode(bytes) };
  } catch {
    const at = firstInvalidUtf8(bytes);
    return {
      problem: {
        ...positionOf(bytes, at),
        message: `the ${what} is not valid UTF-8 (byte 0x${(bytes[at] ?? 0).toString(16).padStart(2, '0')}): is it Latin-1 or Windows-1252?`,
        hint: convertHint('LATIN1'),
      },
    };
  }
}

/**
 * Offset of the first byte that does not start a well-formed UTF-8 sequence (a Latin-1 "é" is a
 * lone 0xe9). Hand-written: TextDecoder only says that the whole is invalid, not where.
 */
function firstInvalidUtf8(bytes: Buffer): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i] as number;
    const n = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (n === 0) return i;
    for (let k = 1; k < n; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += n;
  }
  return 0;
}

function positionOf(bytes: Buffer, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = bytes.indexOf(10); i >= 0 && i < offset; i = bytes.indexOf(10, i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

/** Whether `value`, written out as JSON, would take more than `limit` bytes (roughly); stops counting there. */
export function exceedsSize(value: unknown, limit: number): boolean {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') size += v.length + 2;
    else if (Array.isArray(v)) {
      size += 2 + v.length;
      for (const x of v) stack.push(x);
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        size += k.length + 4;
        stack.push(x);
      }
      size += 2;
    } else size += 8;
    if (size > limit) return true;
  }
  return false;
}

/**
 * Why a file the plan names for later (a manifest, a k6 script, a password file) would hang or
 * flood the run that reads it: not a regular file (/dev/zero, a FIFO), or over MAX_FILE_BYTES.
 * null when it is fine or absent (a missing file is reported where it is read).
 */
export function namedFileProblem(abs: string): string | null {
  let stat;
  try {
    stat = statSync(abs);
  } catch {
    return null;
  }
  if (!stat.isFile()) return `${displayPath(abs)} is not a regular file`;
  if (stat.size > MAX_FILE_BYTES) return `${displayPath(abs)} is ${(stat.size / MIB).toFixed(1)} MiB: crt reads files of at most ${MAX_FILE_BYTES / MIB} MiB`;
  return null;
}
