/** Components `k8ts up` runs; each can be switched off with `--disable`. */
export const COMPONENTS = ['compactor', 'controller-manager', 'scheduler', 'kubelet'] as const;
