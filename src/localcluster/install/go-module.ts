/**
 * The Go build module for one Kubernetes release: it requires k8s.io/kubernetes and etcd's server, and
 * pins every staging module (k8s.io/api, k8s.io/apiserver, …), which k8s.io/kubernetes requires as
 * v0.0.0 and replaces with its own ./staging folders, to the published v0.Y.Z by `replace`.
 */
export interface BuildModule {
  goMod: string;
  etcdVersion: string;
}

/** The build module for Kubernetes `version`, from the text of k8s.io/kubernetes@v`version`'s go.mod. */
export function buildModule(version: string, kubernetesGoMod: string): BuildModule {
  const staging = [...kubernetesGoMod.matchAll(/^\s*(k8s\.io\/[\w.-]+)\s+=>\s+\.\/staging\//gm)].map((m) => m[1]!);
  if (!staging.length) throw new Error(`the go.mod of k8s.io/kubernetes v${version} replaces no staging module`);
  const etcd = /^\s*(?:require\s+)?go\.etcd\.io\/etcd\/server\/v3\s+v(\S+)/m.exec(kubernetesGoMod)?.[1];
  if (!etcd) throw new Error(`the go.mod of k8s.io/kubernetes v${version} requires no go.etcd.io/etcd/server/v3`);
  const goLine = /^go\s+(\S+)/m.exec(kubernetesGoMod)?.[1] ?? '1.24.0';
  const [, minor, patch] = version.split('.');
  const stagingVersion = `v0.${minor}.${patch}`;
  const width = Math.max(...staging.map((s) => s.length));
  const goMod = [
    `// Build module of crt cluster install: Kubernetes v${version} and the etcd it pins. Generated; only go.mod and go.sum,`,
    '// no source: the commands are built from the module cache (see src/localcluster/install/go-build.ts).',
    'module crt.local/kubernetes-build',
    '',
    `go ${goLine}`,
    '',
    'require (',
    `\tgo.etcd.io/etcd/server/v3 v${etcd}`,
    `\tk8s.io/kubernetes v${version}`,
    ')',
    '',
    'replace (',
    ...staging.map((s) => `\t${s.padEnd(width)} => ${s} ${stagingVersion}`),
    ')',
    '',
  ].join('\n');
  return { goMod, etcdVersion: etcd };
}

/** The `-X` flags that make the Kubernetes commands report `version` (`kubectl version --client`, `--version`). */
export function versionLdflags(version: string, buildDate: string): string[] {
  const [major, minor] = version.split('.');
  return ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=v${version}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
    `-X ${pkg}.buildDate=${buildDate}`,
  ]);
}

/** The Go packages of the programs, by the name each is installed under. */
export const goPackages = {
  'kube-apiserver': 'k8s.io/kubernetes/cmd/kube-apiserver',
  'kube-controller-manager': 'k8s.io/kubernetes/cmd/kube-controller-manager',
  'kube-scheduler': 'k8s.io/kubernetes/cmd/kube-scheduler',
  kubectl: 'k8s.io/kubernetes/cmd/kubectl',
  etcd: 'go.etcd.io/etcd/server/v3',
} as const;
