// The quickstart's backup probe (AUX-01), run by crt as a `command` probe with KUBECONFIG set to
// the run's kubeconfig: reads the demo store's snapshot files (store.json, see
// deploy/demo/store-backup.yaml) straight from the disk of the embedded cluster's pods — what a
// restore would read, not what the store says about itself — and checks the newest one.
//   MAX_AGE_S  the newest backup is at most this many seconds old (unset: any age)
//   MIN_VOTES  it holds at least this many votes (default 0)
// Exit 0 when it holds, 1 with the reason otherwise.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(path.dirname(process.env.KUBECONFIG ?? '.'), 'cluster');
let files;
try {
  files = readdirSync(root, { recursive: true }).filter((f) => path.basename(f) === 'store.json');
} catch (err) {
  fail(`cannot read ${root}: ${err.message} (is this run on the embedded cluster?)`);
}
if (!files.length) fail(`no store.json under ${root}: the store has no DATA_DIR, or has not started`);
const backups = files.map((f) => ({ file: f, ...JSON.parse(readFileSync(path.join(root, f), 'utf8')) }));
const newest = backups.sort((a, b) => b.savedAt.localeCompare(a.savedAt))[0];
const ageS = (Date.now() - Date.parse(newest.savedAt)) / 1000;
const votes = Object.values(newest.votes).reduce((sum, n) => sum + n, 0);
const what = `${newest.file}: saved ${ageS.toFixed(1)} s ago (${newest.savedAt}), ${votes} votes`;
const maxAgeS = process.env.MAX_AGE_S ? Number(process.env.MAX_AGE_S) : Infinity;
const minVotes = Number(process.env.MIN_VOTES ?? 0);
if (ageS > maxAgeS) fail(`${what}: older than ${maxAgeS} s`);
if (votes < minVotes) fail(`${what}: fewer than ${minVotes} votes`);
console.log(what);

function fail(message) {
  console.log(message);
  process.exit(1);
}
