import path from 'node:path';

/** Where the control plane keeps its files, all under its state dir. */
export interface ControlPlaneLayout {
  stateDir: string;
  /** certificates and keys (removed by stop() unless keepState) */
  pki: string;
  /** etcd's data dir (removed by stop() unless keepState) */
  etcdData: string;
  /** kubeconfig files (hold client keys: removed with the certificates) */
  kubeconfigs: string;
  /** `<component>.log`, kept after stop() */
  logs: string;
}

export function controlPlaneLayout(stateDir: string): ControlPlaneLayout {
  return {
    stateDir,
    pki: path.join(stateDir, 'pki'),
    etcdData: path.join(stateDir, 'etcd'),
    kubeconfigs: path.join(stateDir, 'kubeconfig'),
    logs: path.join(stateDir, 'logs'),
  };
}
