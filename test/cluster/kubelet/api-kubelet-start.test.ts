import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { EnvironmentError } from '../../../src/core/index.js';
import { writeEmbeddedKubeconfig } from '../../../src/kube/index.js';
import { ApiKubelet } from '../../../src/localcluster/kubelet/index.js';
import { tempDir } from '../../helpers/tmp.js';

describe('ApiKubelet start', () => {
  let tmp: { dir: string; remove(): Promise<void> };

  beforeEach(async () => {
    tmp = await tempDir();
  });

  afterEach(async () => {
    await tmp.remove();
  });

  it('rejects with an EnvironmentError naming the server and the kubeconfig when the API cannot be reached', async () => {
    // a port that was just free: nothing listens there
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const kubeconfig = path.join(tmp.dir, 'kubeconfig');
    await writeEmbeddedKubeconfig(kubeconfig, `http://127.0.0.1:${port}`);
    const kubelet = new ApiKubelet({ kubeconfig, node: { name: 'node-1', ip: '127.1.0.1' }, stateDir: path.join(tmp.dir, 'state') });
    const err = await kubelet.start().then(() => undefined, (e: unknown) => e);
    await kubelet.stop();
    expect(err).to.be.instanceOf(EnvironmentError);
    expect((err as EnvironmentError).message).to.match(new RegExp(`^kubelet node-1 cannot register with the API server http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
    expect((err as EnvironmentError).hint).to.equal(`check the node's kubeconfig ${kubeconfig} (server address and credentials)`);
    expect(kubelet.pids()).to.deep.equal([]);
  });
});
