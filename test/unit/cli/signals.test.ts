import { expect } from 'chai';
import { DUPLICATE_SIGNAL_MS, installSignalHandlers } from '../../../src/cli/signals.js';
import { ExitCode } from '../../../src/core/exit-codes.js';
import { Journal } from '../../../src/faults/index.js';
import { ManualClock } from '../../helpers/manual-clock.js';

describe('crt run signals (src/cli/signals.ts)', () => {
  // the handlers are process-wide: take mocha's own off while a test drives them, and put them back
  let saved: Array<(...args: unknown[]) => void>;
  let out: string;
  let exits: number[];
  let clock: ManualClock;
  let dispose: () => void;

  beforeEach(() => {
    saved = [...process.listeners('SIGINT'), ...process.listeners('SIGTERM')] as Array<(...args: unknown[]) => void>;
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
    out = '';
    exits = [];
    clock = new ManualClock();
  });

  afterEach(() => {
    dispose();
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
    for (const l of saved) process.on('SIGINT', l);
  });

  function install(): ReturnType<typeof installSignalHandlers> {
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => { out += s; return true; } } } as never;
    const handling = installSignalHandlers(io, new Journal('r1', []), '/tmp/reports/r1', { clock, exit: (c) => exits.push(c) });
    dispose = () => handling.dispose();
    return handling;
  }

  it('aborts the run on the first SIGINT and exits with the SIGINT code on a second one a second later', async () => {
    const h = install();
    process.emit('SIGINT', 'SIGINT');
    expect(h.signal.aborted).to.equal(true);
    expect(h.received).to.equal('SIGINT');
    expect(exits).to.deep.equal([]);
    await clock.advance(DUPLICATE_SIGNAL_MS);
    process.emit('SIGINT', 'SIGINT');
    expect(exits).to.deep.equal([ExitCode.sigint]);
    expect(out).to.match(/SIGINT again: exiting now/);
  });

  it('ignores a second SIGINT within a second of the first: one Ctrl-C passed on twice (npm run) keeps the reverts', async () => {
    const h = install();
    process.emit('SIGINT', 'SIGINT');
    await clock.advance(DUPLICATE_SIGNAL_MS - 1);
    process.emit('SIGINT', 'SIGINT');
    expect(exits).to.deep.equal([]);
    expect(h.signal.aborted).to.equal(true);
    expect(out).not.to.match(/exiting now/);
  });

  it('exits with the SIGTERM code on a second SIGTERM', async () => {
    install();
    process.emit('SIGTERM', 'SIGTERM');
    await clock.advance(DUPLICATE_SIGNAL_MS + 5);
    process.emit('SIGTERM', 'SIGTERM');
    expect(exits).to.deep.equal([ExitCode.sigterm]);
  });
});
