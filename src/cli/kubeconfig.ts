import { KubeConfig } from "@kubernetes/client-node";

/**
 * The KubeConfig to use: the file given, else the pod's service account when running in a cluster,
 * else the usual default ($KUBECONFIG, ~/.kube/config).
 */
export function loadKubeConfig(file: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}
