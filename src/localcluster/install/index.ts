export { installKubernetes, type InstallOptions, type InstallResult, type InstallSource } from './install.js';
export { cacheRoot, kubernetesBinaries, versionLayout } from './layout.js';
export { mismatch as binariesMismatch } from './probe.js';
