import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readSignOff } from '../../../src/cli/commands/report-sign-off.js';
import { UsageError } from '../../../src/core/index.js';
import { tempDir } from '../../helpers/tmp.js';

describe('crt report --sign-off file', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => (tmp = await tempDir()));
  afterEach(async () => tmp.remove());
  const file = async (text: string) => {
    const f = path.join(tmp.dir, 'sign-off.yaml');
    await writeFile(f, text);
    return f;
  };

  it('reads who prepared and reviewed, the decision, its date and the deviations', async () => {
    const f = await file('preparedBy: Jane Doe (SRE)\nreviewedBy: Max\ndecision: accepted with deviations\ndate: 2026-12-07\ndeviations:\n  - PHY-02 not run\n  - " LOG-03 p95 known issue "\n');
    expect(await readSignOff(f)).to.deep.equal({ preparedBy: 'Jane Doe (SRE)', reviewedBy: 'Max', decision: 'accepted with deviations', date: '2026-12-07', deviations: ['PHY-02 not run', 'LOG-03 p95 known issue'] });
  });

  it('takes deviations as one text, one per line, and leaves keys not given empty', async () => {
    const f = await file('decision: rejected\ndeviations: |\n  a\n  b\n');
    expect(await readSignOff(f)).to.deep.equal({ preparedBy: '', reviewedBy: '', decision: 'rejected', date: '', deviations: ['a', 'b'] });
  });

  it('refuses unknown keys and values of the wrong kind, each with its line', async () => {
    const f = await file('preparedBy: [a, b]\nreviwedBy: Max\ndeviations: {a: 1}\n');
    const err = await readSignOff(f).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(UsageError);
    expect((err as Error).message.split('\n')).to.deep.equal([
      `${f}:1:13 preparedBy: must be a text`,
      `${f}:2:12 reviwedBy: unknown key (the keys are preparedBy, reviewedBy, decision, date, deviations)`,
      `${f}:3:13 deviations: must be a list of texts (or one text)`,
    ]);
  });

  it('refuses a file that is missing, not YAML, or not a mapping', async () => {
    await readSignOff(path.join(tmp.dir, 'none.yaml')).then(() => expect.fail(), (e: Error) => expect(e.message).to.match(/--sign-off .*none\.yaml: cannot read it \(ENOENT\)/));
    await readSignOff(await file('a: [')).then(() => expect.fail(), (e: Error) => expect(e.message).to.match(/not YAML/));
    await readSignOff(await file('- a\n- b\n')).then(() => expect.fail(), (e: Error) => expect(e.message).to.match(/must be a mapping/));
  });
});
