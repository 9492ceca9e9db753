import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import type net from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { EnvironmentError } from '../../../src/core/index.js';
import { Fabric, hubNamespace, leftoverNamespaces, nodeNamespace, removeLeftovers } from '../../../src/localcluster/netns/index.js';
import { until } from '../../helpers/until.js';
import { fabricTestId, ipJson, namespaceNames, namespacePids, requireNetns, rootFabricAddresses } from './netns-helpers.js';

const netnsIndex = fileURLToPath(new URL('../../../src/localcluster/netns/index.js', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A crt stand-in in a process of its own: makes fabric `id` with node 1, says `ready` and waits to be killed. */
function fabricOwner(id: string): ReturnType<typeof spawn> {
  const script = `
    const { Fabric } = await import(${JSON.stringify(netnsIndex)});
    const f = await Fabric.create({ id: ${JSON.stringify(id)} });
    const n = await f.addNode(1);
    await n.addAddress('198.18.2.1');
    console.log('ready');
    setInterval(() => {}, 1000);`;
  return spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
}

describe('network namespace fabric lifecycle', function () {
  this.timeout(60_000);
  before(async function () {
    await requireNetns(this);
  });

  it('close() removes the namespaces, veths, bridge, brokers and every process started in them, and is idempotent', async () => {
    const id = fabricTestId('c');
    // the machine's own devices (an eth0 of the host) are not the fabric's: only new ones count
    const fabricLike = async (): Promise<string[]> => (await ipJson(['-j', 'link', 'show'])).map((l) => l.ifname).filter((n) => /^(crt0|v\d+|eth0)$/.test(n)).sort();
    const devicesBefore = await fabricLike();
    const fabric = await Fabric.create({ id });
    const node = await fabric.addNode(1);
    const cmd = node.command('sleep', ['600']);
    const sleeper = spawn(cmd.file, cmd.args, { stdio: 'ignore' });
    await until('the sleeper in node 1', async () => (await node.pids()).includes(sleeper.pid!));
    const pids = [...await fabric.hub.pids(), ...await node.pids()];
    expect(pids).to.include(sleeper.pid);
    expect(pids.length, 'two brokers and the sleeper').to.equal(3);
    expect(await namespaceNames()).to.include.members([hubNamespace(id), nodeNamespace(id, 1)]);
    // sockets handed out and still open hold their namespaces alive, not their devices and addresses
    const held = [await fabric.hub.listen(fabric.hub.address, 0), await node.listen(node.address, 0)];

    await Promise.all([fabric.close(), fabric.close()]);
    await fabric.close();
    for (const s of held) s.close();

    const names = await namespaceNames();
    expect(names.filter((n) => n.startsWith(`crt-${id}-`))).to.deep.equal([]);
    await until('every process of the fabric gone', () => pids.every((p) => !alive(p)));
    expect(sleeper.signalCode).to.equal('SIGKILL');
    // no device of the fabric is left anywhere this namespace can see (veths and bridges die with their namespace)
    expect(await fabricLike()).to.deep.equal(devicesBefore);
    expect(existsSync(`/run/crt/netns/${id}.json`), 'owner record').to.equal(false);
    expect(await rootFabricAddresses()).to.deep.equal([]);
  });

  it('lists the namespaces of a killed owner as leftovers and removes them, leaving a live fabric alone', async () => {
    const live = await Fabric.create({ id: fabricTestId('l') });
    try {
      const liveNode = await live.addNode(1);
      const deadId = fabricTestId('d');
      const owner = fabricOwner(deadId);
      await once(owner.stdout!, 'data');
      const dead = [hubNamespace(deadId), nodeNamespace(deadId, 1)];
      expect(await leftoverNamespaces(), 'while its owner runs').to.not.include.members(dead.slice(0, 1));
      const brokers = [...await namespacePids(dead[0]!), ...await namespacePids(dead[1]!)];
      expect(brokers.length, 'the brokers of the hub and node 1').to.equal(2);
      owner.kill('SIGKILL');
      await once(owner, 'exit');
      // a broker ends by itself once its parent is gone (its IPC channel closes)
      await until('the orphaned brokers to end', () => brokers.every((p) => !alive(p)), 10_000);

      const leftovers = await leftoverNamespaces();
      expect(leftovers).to.include.members(dead);
      expect(leftovers).to.not.include(live.hub.name);
      expect(leftovers).to.not.include(liveNode.name);
      // a new fabric of the same id is refused while they are there
      const err = await Fabric.create({ id: deadId }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(EnvironmentError);
      expect((err as Error).message).to.equal(`network namespaces of fabric ${deadId} exist already: ${dead.join(', ')}`);

      expect(await removeLeftovers()).to.include.members(dead);
      expect((await namespaceNames()).filter((n) => dead.includes(n))).to.deep.equal([]);
      expect(existsSync(`/run/crt/netns/${deadId}.json`)).to.equal(false);
      expect(await leftoverNamespaces()).to.not.include.members(dead.slice(0, 1));
      // the live fabric still works
      const server = await liveNode.listen(liveNode.address, 0);
      server.on('connection', (c) => c.end('alive'));
      const client = await live.hub.connect(liveNode.address, (server.address() as net.AddressInfo).port, 5_000);
      const got = await new Promise<string>((resolve) => { let s = ''; client.on('data', (d) => { s += String(d); }).on('end', () => resolve(s)); });
      server.close();
      expect(got).to.equal('alive');
      // the fabric id is free again
      const again = await Fabric.create({ id: deadId });
      await again.close();
    } finally {
      await live.close();
    }
  });

  it('skips the fabric tests when not root, saying why, and fails them with CRT_REQUIRE_KUBERNETES=1', async () => {
    const mocha = fileURLToPath(new URL('../../../../node_modules/mocha/bin/mocha.js', import.meta.url));
    const suite = fileURLToPath(new URL('./fabric.test.js', import.meta.url));
    const run = async (env: NodeJS.ProcessEnv) => {
      const child = spawn(process.execPath, [mocha, '--no-config', '--reporter', 'dot', suite], { uid: 65534, gid: 65534, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
      child.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
      const [code] = await once(child, 'exit');
      return { code: code as number, out };
    };
    const { CRT_REQUIRE_KUBERNETES: _, ...env } = process.env;
    const skipped = await run(env);
    expect(skipped.code, skipped.out).to.equal(0);
    expect(skipped.out).to.contain('skipped: creating network namespaces needs root (crt runs as uid 65534)');
    expect(skipped.out).to.match(/\d+ pending/);
    const required = await run({ ...env, CRT_REQUIRE_KUBERNETES: '1' });
    expect(required.code, required.out).to.equal(1);
    expect(required.out).to.contain('network namespaces are required (CRT_REQUIRE_KUBERNETES=1): creating network namespaces needs root (crt runs as uid 65534)');
  });

  it('says why a machine cannot have a fabric when crt is not root', async () => {
    const script = `const { netnsSupport } = await import(${JSON.stringify(netnsIndex)}); console.log(JSON.stringify(await netnsSupport()));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    const [code] = await once(child, 'exit');
    expect(code).to.equal(0);
    expect(JSON.parse(out)).to.deep.equal({ ok: false, why: 'creating network namespaces needs root (crt runs as uid 65534)' });
  });
});
