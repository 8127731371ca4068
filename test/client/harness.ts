/**
 * A real apiserver in the test process (SQLite in a temporary dir, the cluster PKI, listening on a free port)
 * with clients over both transports: HTTPS with the admin certificate, and in-process through its loopback
 * server. Client and informer tests drive it instead of a mock.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { X509Authenticator } from '../../src/apiserver/auth/authenticator.js';
import { AlwaysAllowAuthorizer } from '../../src/apiserver/auth/authorizer.js';
import { APIServer } from '../../src/apiserver/server.js';
import { Client } from '../../src/client/client.js';
import { httpsTransport } from '../../src/client/https-transport.js';
import { inProcessTransport } from '../../src/client/in-process-transport.js';
import { ensureClusterPKI } from '../../src/pki/pki.js';
import { openStore } from '../../src/storage/factory.js';
import type { Store } from '../../src/storage/interface.js';
import { tempDir } from '../helpers/tmp.js';

export interface Harness {
  apiserver: APIServer;
  /** Clients over each transport, by name. */
  clients: { https: Client; inProcess: Client };
  stop(): Promise<void>;
}

export async function startAPIServer(): Promise<Harness> {
  const dir = await tempDir('k8ts-client-');
  const store: Store = await openStore({ kind: 'sqlite', path: join(dir.path, 'state.db') });
  const pki = await ensureClusterPKI(join(dir.path, 'pki'));
  const apiserver = new APIServer({
    store,
    tls: { key: pki.serving.key, cert: pki.serving.cert, ca: pki.ca.cert },
    authenticator: new X509Authenticator(),
    authorizer: new AlwaysAllowAuthorizer(),
    logger: pino({ level: 'silent' }),
    advertiseAddress: '127.0.0.1:0',
  });
  await apiserver.start(0, '127.0.0.1');
  const https = new Client(httpsTransport({ server: new URL(`https://127.0.0.1:${apiserver.port}`), ca: pki.ca.cert, cert: pki.admin.cert, key: pki.admin.key }));
  const inProcess = new Client(inProcessTransport(apiserver.loopbackServer({ name: 'test-admin', groups: ['system:masters', 'system:authenticated'] })));
  return {
    apiserver,
    clients: { https, inProcess },
    async stop() {
      https.close();
      inProcess.close();
      await apiserver.shutdown();
      await store.close();
      await dir.remove();
    },
  };
}
