export { kubeClients, type ClusterAccess, type KubeClients } from './clients.js';
export { EMBEDDED_CONTEXT, embeddedKubeconfig, writeEmbeddedKubeconfig } from './kubeconfig.js';
export { inClusterUrl, serviceFromHost, serviceUrl } from './service-url.js';
export { labelSelectorObject, negatedSelectors } from './label-selector.js';
export { clusterIdentity, describeCluster, sameCluster, type ClusterIdentity } from './cluster-identity.js';
export { apiMessage, apiStatus, forbiddenHint } from './api-error.js';
export { classifyApiFailure, describeFailureKind, isApiUnavailable, retryApiCall, type ApiFailure, type ApiFailureKind, type RetryOptions } from './api-retry.js';
export {
  CONTROL_PLANE_SWITCH_ANNOTATION, LOOPBACK_ADDRESS_ANNOTATION, NODE_SWITCH_ANNOTATION, controlPlaneSwitchBase, isLoopbackSwitch, loopbackAddress, nodeSwitchBase,
} from './embedded-annotations.js';
export { ApiError, type Status, type StatusCause } from './api-status.js';
export {
  aggregate, dns1123SubdomainErrors, formatLabelSelector, labelSelectorFromMap, labelSelectorFromSpec, labelSelectorString, labelValueErrors, matchesFields, matchesLabels,
  maxLenError, parseFieldSelector, parseLabelSelector, qualifiedNameErrors, regexError,
  type FieldRequirement, type FieldSelector, type LabelSelector, type LabelSelectorSpec, type Requirement, type SelectorOperator,
} from './selectors.js';
export { RUN_ID_LABEL, labelValue } from './labels.js';
export { isLivePod, isNodeReady, isPodReady } from './pods.js';
export { exceedsMaxPercent, maxPercentCap } from './max-percent.js';
export { FALLBACK_NAMESPACE, contextNamespace, namespaceOr } from './namespace.js';
