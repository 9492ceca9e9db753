#!/usr/bin/env node
// `npm run demo`: starts the demo service on a free loopback port, runs the demo plan against
// it with crt, stops the service, and exits with crt's exit code.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const plan = process.argv[2] ?? 'test-plans/demo-local.yaml';
const service = spawn(process.execPath, ['dist/src/demo/service.js'], { cwd: root, env: { ...process.env, PORT: '0', NAME: 'demo-shop-1' }, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  service.stdout.on('data', (d) => {
    const m = /listening on (http:\/\/\S+)/.exec(String(d));
    if (m) resolve(m[1]);
  });
  service.once('exit', (code) => reject(new Error(`the demo service exited (${code})`)));
});
process.stderr.write(`demo service at ${url}\n`);
const crt = spawn(process.execPath, ['bin/crt.js', 'run', plan, ...process.argv.slice(3)], { cwd: root, env: { ...process.env, DEMO_URL: url }, stdio: 'inherit' });
const forward = (sig) => crt.kill(sig);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
crt.on('exit', (code) => {
  service.kill('SIGTERM');
  process.exitCode = code ?? 1;
});
