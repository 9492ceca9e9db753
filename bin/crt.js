#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm test` and `npm ci` via "prepare").
import { main } from '../dist/src/cli/main.js';

// `crt --help | head`, `crt report … | less` quit early: a write to the closed pipe is EPIPE, which
// Node throws as an unhandled 'error' with a stack. Drop what can no longer be read and keep going —
// never exit here: a run whose reader went away must still revert its faults and write its folder.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
