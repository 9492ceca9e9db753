import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The script body of each fake program: it answers the version question `crt cluster install` asks. */
export function fakeScripts(kubernetes: string, etcd: string): Record<string, string> {
  const kube = `#!/bin/sh\necho "Kubernetes v${kubernetes}"\n`;
  return {
    'kube-apiserver': kube,
    'kube-controller-manager': kube,
    'kube-scheduler': kube,
    kubectl: `#!/bin/sh\necho '{"clientVersion":{"major":"1","gitVersion":"v${kubernetes}"}}'\n`,
    etcd: `#!/bin/sh\necho "etcd Version: ${etcd}"\necho "Git SHA: fake"\n`,
  };
}

/** Writes small executable stand-ins for the five programs into `dir` (an envtest folder, a --from folder). */
export async function writeFakeBinaries(dir: string, kubernetes: string, etcd: string): Promise<Record<string, string>> {
  await mkdir(dir, { recursive: true });
  const scripts = fakeScripts(kubernetes, etcd);
  for (const [name, body] of Object.entries(scripts)) {
    await writeFile(path.join(dir, name), body);
    await chmod(path.join(dir, name), 0o755);
  }
  return scripts;
}

/**
 * A fake `go`: `go version` answers go1.26.8; `go mod download -json …` answers with `kubernetesGoMod` as the
 * release's go.mod; `go build … -o DIR/ PKGS` records its arguments, cwd, go.mod and
 * environment in `<log>` (one JSON line per call) and writes the fake programs (etcd's as "server", as go names it).
 */
export async function writeFakeGo(dir: string, log: string, kubernetes: string, etcd: string, kubernetesGoMod = '/nonexistent'): Promise<string> {
  await mkdir(dir, { recursive: true });
  const scripts = fakeScripts(kubernetes, etcd);
  const writes = Object.entries(scripts).map(([name, body]) => {
    const file = name === 'etcd' ? 'server' : name;
    return `cat > "$out/${file}" <<'FAKE'\n${body}FAKE\nchmod 755 "$out/${file}"`;
  }).join('\n');
  const go = path.join(dir, 'go');
  await writeFile(go, `#!/bin/sh
if [ "$1" = version ]; then echo "go version go1.26.8 linux/amd64"; exit 0; fi
if [ "$1" = mod ]; then echo '{"Path": "k8s.io/kubernetes", "GoMod": "${kubernetesGoMod}"}'; exit 0; fi
node -e 'console.log(JSON.stringify({ args: process.argv.slice(1), cwd: process.cwd(), cgo: process.env.CGO_ENABLED, goMod: require("fs").readFileSync("go.mod", "utf8"), goSum: require("fs").existsSync("go.sum") }))' -- "$@" >> "${log}"
out=""
prev=""
for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done
echo "go: downloading k8s.io/kubernetes v${kubernetes}" >&2
${writes}
`);
  await chmod(go, 0o755);
  return go;
}
