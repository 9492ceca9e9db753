import { expect } from 'chai';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../../helpers/tmp.js';
import { defaultDemoEntry, imageID, parseImage, resolveContainer } from '../../../../src/localcluster/runtime/images.js';

describe('resolveContainer', () => {
  it('runs node commands with the current Node.js, appending args to the command', () => {
    expect(resolveContainer({ image: 'anything:1', command: ['node', 'server.js'], args: ['--port', '80'] }))
      .to.deep.equal({ file: process.execPath, args: ['server.js', '--port', '80'], env: {} });
  });

  it('finds other commands through PATH', () => {
    const resolved = resolveContainer({ image: 'busybox', command: ['sh', '-c', 'true'] });
    expect(resolved).to.have.property('file').that.matches(/\/sh$/);
    expect(resolved).to.have.deep.property('args', ['-c', 'true']);
  });

  it('fails a command not on PATH as the container runtime words it', () => {
    expect(resolveContainer({ image: 'busybox', command: ['foo'] }, { path: '/nonexistent' }))
      .to.deep.equal({ failure: { reason: 'RunContainerError', message: 'exec: "foo": executable file not found in $PATH' } });
  });

  it('resolves a relative command path against cwd, and refuses a file that is not executable', async () => {
    const tmp = await tempDir();
    try {
      writeFileSync(path.join(tmp.dir, 'run.sh'), '#!/bin/sh\n');
      writeFileSync(path.join(tmp.dir, 'data.txt'), '');
      chmodSync(path.join(tmp.dir, 'run.sh'), 0o755);
      expect(resolveContainer({ image: 'x', command: ['./run.sh'] }, { cwd: tmp.dir })).to.deep.include({ file: path.join(tmp.dir, 'run.sh') });
      expect(resolveContainer({ image: 'x', command: ['./data.txt'] }, { cwd: tmp.dir }))
        .to.deep.equal({ failure: { reason: 'RunContainerError', message: 'exec: "./data.txt": permission denied' } });
      expect(resolveContainer({ image: 'x', command: ['./gone'] }, { cwd: tmp.dir }))
        .to.deep.equal({ failure: { reason: 'RunContainerError', message: `exec: "./gone": stat ${path.join(tmp.dir, 'gone')}: no such file or directory` } });
    } finally {
      await tmp.remove();
    }
  });

  it('runs a crt.io/demo image as the demo program, with DEMO_VERSION from its tag', () => {
    expect(resolveContainer({ image: 'crt.io/demo:v2', args: ['gateway'] }, { demoEntry: '/demo/main.js' }))
      .to.deep.equal({ file: process.execPath, args: ['/demo/main.js', 'gateway'], env: { DEMO_VERSION: 'v2' } });
  });

  it('keeps DEMO_VERSION when a demo container gives its own command', () => {
    expect(resolveContainer({ image: 'crt.io/demo:v3', command: ['node', 'x.js'] })).to.deep.equal({ file: process.execPath, args: ['x.js'], env: { DEMO_VERSION: 'v3' } });
  });

  it('finds the demo program under the package root by default', () => {
    const root = fileURLToPath(new URL('../../../../../', import.meta.url));
    expect(defaultDemoEntry).to.equal(path.join(root, 'dist', 'src', 'demo', 'main.js'));
  });

  it('runs a node image without a command as Node.js with the args', () => {
    expect(resolveContainer({ image: 'docker.io/library/node:20-alpine', args: ['app.js'] })).to.deep.equal({ file: process.execPath, args: ['app.js'], env: {} });
  });

  it('fails any other image without a command with ErrImagePull and a hint', () => {
    expect(resolveContainer({ image: 'nginx:1.25' })).to.deep.equal({
      failure: {
        reason: 'ErrImagePull',
        message: 'Failed to pull image "nginx:1.25": the embedded cluster runs local processes, not container images; give the container a command, or use a crt.io/demo image',
      },
    });
  });
});

describe('parseImage', () => {
  const cases: Array<[string, string, string]> = [
    ['nginx', 'nginx', 'latest'],
    ['nginx:1.25', 'nginx', '1.25'],
    ['docker.io/library/node:20', 'node', '20'],
    ['localhost:5000/team/app', 'localhost:5000/team/app', 'latest'],
    ['crt.io/demo:v1@sha256:abc', 'crt.io/demo', 'v1'],
  ];
  for (const [image, repository, tag] of cases) {
    it(`reads ${image} as ${repository} tagged ${tag}`, () => {
      expect(parseImage(image)).to.deep.equal({ repository, tag });
    });
  }

  it('derives a stable digest-shaped image ID', () => {
    expect(imageID('node:20')).to.match(/^node@sha256:[0-9a-f]{64}$/).and.equal(imageID('node:20'));
  });
});
