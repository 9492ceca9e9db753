import { fileURLToPath } from 'node:url';

/** The demo system's manifests shipped with crt (gateway → customer-service → store in namespace demo). */
export const demoManifestPath = fileURLToPath(new URL('../../../deploy/demo/demo.yaml', import.meta.url));
