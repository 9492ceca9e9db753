/**
 * The store's data: a key-value map (customers live at `customers/<id>`) and vote totals.
 * Pure and synchronous, so the persistence around it can be tested and reasoned about apart.
 */

export const SNAPSHOT_FORMAT = 'crt-demo-store/1';
export const SEED_CUSTOMERS = 1000;

export interface Snapshot {
  format: typeof SNAPSHOT_FORMAT;
  savedAt: string;
  kv: Record<string, unknown>;
  votes: Record<string, number>;
}

export interface Customer {
  id: number;
  name: string;
  email: string;
}

const FIRST = ['Ada', 'Alan', 'Barbara', 'Claude', 'Donald', 'Edsger', 'Frances', 'Grace', 'Hedy', 'Ivan', 'Joan', 'Ken', 'Leslie', 'Margaret', 'Niklaus', 'Radia'];
const LAST = ['Allen', 'Backus', 'Codd', 'Dijkstra', 'Engelbart', 'Floyd', 'Goldberg', 'Hamilton', 'Hopper', 'Knuth', 'Lamport', 'Liskov', 'Perlman', 'Ritchie', 'Sutherland', 'Wirth', 'Yao'];

export const customerKey = (id: string | number): string => `customers/${id}`;

/** Customer `id` of the seed: the same on every start, so tests and reports can name one. */
export function seedCustomer(id: number): Customer {
  // coprime strides over lists of coprime lengths: 272 distinct name pairs, ids keep emails unique
  const first = FIRST[(id * 7) % FIRST.length] ?? 'Ada';
  const last = LAST[(id * 5) % LAST.length] ?? 'Lovelace';
  return { id, name: `${first} ${last}`, email: `${first}.${last}.${id}@example.com`.toLowerCase() };
}

/** Vote options are labels, not free text: short, and safe to show in a report. */
const OPTION = /^[A-Za-z0-9_-]{1,32}$/;

export class StoreData {
  private readonly kv = new Map<string, unknown>();
  private readonly votes = new Map<string, number>();

  static seeded(): StoreData {
    const data = new StoreData();
    for (let id = 1; id <= SEED_CUSTOMERS; id++) data.kv.set(customerKey(id), seedCustomer(id));
    return data;
  }

  /** Throws on anything that is not a snapshot this version wrote: a bad restore must be loud. */
  static fromSnapshot(raw: unknown): StoreData {
    if (!isRecord(raw) || raw.format !== SNAPSHOT_FORMAT || !isRecord(raw.kv) || !isRecord(raw.votes)) {
      throw new Error(`not a ${SNAPSHOT_FORMAT} snapshot`);
    }
    const data = new StoreData();
    for (const [key, value] of Object.entries(raw.kv)) data.kv.set(key, value);
    for (const [option, count] of Object.entries(raw.votes)) {
      if (!Number.isSafeInteger(count) || (count as number) < 0) throw new Error(`vote count for "${option}" is not a count`);
      data.votes.set(option, count as number);
    }
    return data;
  }

  /**
   * Takes `other`'s keys and votes in place of its own (a restore). In place, not a new object,
   * because the snapshot file and the routes hold this one.
   */
  replaceWith(other: StoreData): void {
    this.clear();
    for (const [key, value] of other.kv) this.kv.set(key, value);
    for (const [option, count] of other.votes) this.votes.set(option, count);
  }

  /** Forgets every key and vote (the "destroy" of a restore drill). */
  clear(): void {
    this.kv.clear();
    this.votes.clear();
  }

  get(key: string): unknown {
    return this.kv.get(key);
  }

  /** @returns whether the key is new */
  put(key: string, value: unknown): boolean {
    const created = !this.kv.has(key);
    this.kv.set(key, value);
    return created;
  }

  delete(key: string): boolean {
    return this.kv.delete(key);
  }

  static isOption(option: unknown): option is string {
    return typeof option === 'string' && OPTION.test(option);
  }

  /** @returns the option's new count */
  vote(option: string): number {
    const count = (this.votes.get(option) ?? 0) + 1;
    this.votes.set(option, count);
    return count;
  }

  totals(): { total: number; options: Record<string, number> } {
    const options = Object.fromEntries([...this.votes].sort(([a], [b]) => a.localeCompare(b)));
    return { total: [...this.votes.values()].reduce((a, b) => a + b, 0), options };
  }

  stats(): { keys: number; customers: number; votes: number; options: number } {
    let customers = 0;
    for (const key of this.kv.keys()) if (key.startsWith('customers/')) customers++;
    return { keys: this.kv.size, customers, votes: this.totals().total, options: this.votes.size };
  }

  snapshot(now: Date): Snapshot {
    return { format: SNAPSHOT_FORMAT, savedAt: now.toISOString(), kv: Object.fromEntries(this.kv), votes: Object.fromEntries(this.votes) };
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
