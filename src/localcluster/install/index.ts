export { installKubernetes, type InstallOptions, type InstallResult, type InstallSource } from './install.js';
export { kubernetesBinaries } from './layout.js';
