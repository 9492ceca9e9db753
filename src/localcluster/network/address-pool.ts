import { CrtError, ExitCode, formatIPv4, parseIPv4, type ExitCodeValue } from '../../core/index.js';

export type AddressPoolErrorCode = 'ADDRESS_POOL_INVALID' | 'ADDRESS_POOL_EXHAUSTED' | 'ADDRESS_IN_USE' | 'ADDRESS_OUT_OF_POOL';

/** A pool that cannot give, or take back, the address asked for. */
export class AddressPoolError extends CrtError {
  readonly exitCode: ExitCodeValue;

  constructor(
    readonly code: AddressPoolErrorCode,
    message: string,
    options: { hint?: string } = {},
  ) {
    super(message, options);
    // running out of addresses is a limit of this machine's cluster; the others are caller mistakes
    this.exitCode = code === 'ADDRESS_POOL_EXHAUSTED' ? ExitCode.environment : ExitCode.invalid;
  }
}

/** 127.0.0.1 is where traffic from outside the cluster comes from: no pod or Service may take it. */
const OUTSIDE = parseIPv4('127.0.0.1')!;

/**
 * Unique IPv4 addresses from a CIDR inside 127.0.0.0/8 (pods `127.10.0.0/16`, Services
 * `127.20.0.0/16`), each usable at once as a bind address because Linux routes all of 127/8 to `lo`.
 * Addresses whose last octet is 0 or 255 are never handed out: they read as network and broadcast
 * addresses to people and to tools. Order is deterministic: never-used addresses first, ascending;
 * released addresses only once those run out, oldest release first, so that a replacement pod
 * does not inherit a just-freed IP while connections to its predecessor are still in flight.
 */
export class AddressPool {
  readonly cidr: string;
  /** how many addresses the pool can hand out in all */
  readonly capacity: number;
  readonly #first: number;
  readonly #last: number;
  /** the next never-allocated candidate */
  #cursor: number;
  readonly #inUse = new Set<number>();
  /** insertion order is release order */
  readonly #released = new Set<number>();

  constructor(cidr: string) {
    const [first, last] = parseLoopbackCidr(cidr);
    this.cidr = cidr;
    this.#first = first;
    this.#last = last;
    this.#cursor = first;
    this.capacity = countUsable(first, last);
    if (this.capacity === 0) throw new AddressPoolError('ADDRESS_POOL_INVALID', `${cidr} holds no usable address (last octets 0 and 255 and 127.0.0.1 are never used)`);
  }

  /** addresses allocated or reserved now */
  get size(): number {
    return this.#inUse.size;
  }

  /** Hands out the next free address; throws ADDRESS_POOL_EXHAUSTED when every one is in use. */
  allocate(): string {
    const n = this.#nextFresh() ?? this.#released.values().next().value;
    if (n === undefined) {
      throw new AddressPoolError('ADDRESS_POOL_EXHAUSTED', `no free address in ${this.cidr}: all ${this.capacity} are allocated`, {
        hint: 'release the addresses of deleted objects, or give the pool a larger CIDR',
      });
    }
    this.#released.delete(n);
    this.#inUse.add(n);
    return formatIPv4(n);
  }

  /** Takes a known address out of the pool, e.g. a pod IP restored from stored state. */
  reserve(ip: string): void {
    const n = this.#member(ip);
    if (this.#inUse.has(n)) throw new AddressPoolError('ADDRESS_IN_USE', `${ip} is already allocated in ${this.cidr}`);
    this.#released.delete(n);
    this.#inUse.add(n);
  }

  /** Gives an address back; false (and nothing changes) when it was not in use, so teardown may repeat. */
  release(ip: string): boolean {
    const n = this.#member(ip);
    if (!this.#inUse.delete(n)) return false;
    this.#released.add(n);
    return true;
  }

  /** Whether `ip` is allocated or reserved now. */
  has(ip: string): boolean {
    const n = parseIPv4(ip);
    return n !== null && this.#inUse.has(n);
  }

  #nextFresh(): number | null {
    while (this.#cursor <= this.#last) {
      const n = this.#cursor++;
      // a reserved address ahead of the cursor, even if released since, is no longer fresh
      if (isUsable(n) && !this.#inUse.has(n) && !this.#released.has(n)) return n;
    }
    return null;
  }

  #member(ip: string): number {
    const n = parseIPv4(ip);
    if (n === null || n < this.#first || n > this.#last || !isUsable(n)) {
      throw new AddressPoolError('ADDRESS_OUT_OF_POOL', `${ip} is not an address ${this.cidr} hands out`, {
        hint: n !== null && n >= this.#first && n <= this.#last ? 'last octets 0 and 255, and 127.0.0.1, are never used' : undefined,
      });
    }
    return n;
  }
}

function isUsable(n: number): boolean {
  const lastOctet = n & 255;
  return lastOctet !== 0 && lastOctet !== 255 && n !== OUTSIDE;
}

/** `127.10.0.0/16` → [first, last] as numbers; throws unless the block lies inside 127.0.0.0/8. */
function parseLoopbackCidr(cidr: string): [number, number] {
  const invalid = (why: string, hint?: string) => new AddressPoolError('ADDRESS_POOL_INVALID', `invalid address pool ${cidr}: ${why}`, { hint });
  const match = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  const base = match ? parseIPv4(match[1]!) : null;
  const prefix = match ? Number(match[2]) : NaN;
  if (base === null || !(prefix >= 0 && prefix <= 32)) throw invalid('expected a.b.c.d/n', 'for example 127.10.0.0/16');
  if (base >>> 24 !== 127 || prefix < 8) throw invalid('must lie inside 127.0.0.0/8, the block Linux routes to the loopback interface');
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) {
    throw invalid('host bits are set', `did you mean ${formatIPv4(base - (base % size))}/${prefix}?`);
  }
  return [base, base + size - 1];
}

function countUsable(first: number, last: number): number {
  const size = last - first + 1;
  const outside = first <= OUTSIDE && OUTSIDE <= last ? 1 : 0;
  // blocks of /24 or larger hold whole last-octet runs; smaller ones are counted one by one
  if (size >= 256) return (size / 256) * 254 - outside;
  let count = 0;
  for (let n = first; n <= last; n++) if (isUsable(n)) count++;
  return count;
}
