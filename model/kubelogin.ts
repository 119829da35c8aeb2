// kubelogin's non-interactive login modes (https://azure.github.io/kubelogin/concepts/login-modes.html):
// the stack's Kubernetes providers never use the interactive `devicecode` AKS hands out.
export const KUBELOGIN_MODES = ["azurecli", "workloadidentity", "spn", "msi"] as const;
export type KubeloginMode = (typeof KUBELOGIN_MODES)[number];
