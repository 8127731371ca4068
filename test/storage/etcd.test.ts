import { EtcdStore } from '../../src/storage/etcd/store.js';
import { storeConformance } from '../../src/storage/testing/conformance.js';
import { startEtcd } from '../helpers/etcd-server.js';

// A real etcd server (Debian's etcd-server) on loopback ports in a temp dir; each store gets its own key prefix.
let etcd: Awaited<ReturnType<typeof startEtcd>>;
let n = 0;

storeConformance('etcd', {
  setup: async () => {
    etcd = await startEtcd();
  },
  teardown: async () => etcd.stop(),
  open: async (opts) => EtcdStore.open({ endpoints: [etcd.endpoint], prefix: `/conformance-${n++}`, ...opts }),
});
