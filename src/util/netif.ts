/** Network interfaces of pod networking (CNI bridges and pods' veths), which never stand for the node itself. */
const POD_NETWORK_INTERFACE = /^(k8ts|cni|veth|docker|flannel|cali)/;

export function isPodNetworkInterface(name: string): boolean {
  return POD_NETWORK_INTERFACE.test(name);
}
