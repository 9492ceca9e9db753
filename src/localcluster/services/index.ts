// localcluster/services: Services (admission, environment, proxies), as the rest of the embedded cluster
// uses them (eslint/deps.mjs).
export { serviceAdmission } from './service-admission.js';
export { serviceEnv, serviceLinks } from './service-env.js';
export { ServiceProxies } from './service-proxies.js';
