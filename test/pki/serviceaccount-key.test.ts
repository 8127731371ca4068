/** The service account signing key in the PKI dir: RSA 2048 `sa.key` (0600) and `sa.pub`, made once and kept. */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureClusterPKI } from '../../src/pki/pki.js';
import { tempDir } from '../helpers/tmp.js';

test('ensureClusterPKI makes sa.key/sa.pub once, keeps them across starts, and restores a lost sa.pub', async () => {
  const dir = await tempDir();
  try {
    const pkiDir = join(dir.path, 'pki');
    const first = await ensureClusterPKI(pkiDir);
    const key = createPrivateKey(first.serviceAccount.key);
    assert.equal(key.asymmetricKeyType, 'rsa');
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(await readFile(join(pkiDir, 'sa.key'), 'utf8'), first.serviceAccount.key);
    assert.equal((await stat(join(pkiDir, 'sa.key'))).mode & 0o777, 0o600);
    const spki = (pem: string): string => createPublicKey(pem).export({ type: 'spki', format: 'pem' }) as string;
    assert.equal(spki(first.serviceAccount.key), first.serviceAccount.pub, 'sa.pub is the public half of sa.key');

    const again = await ensureClusterPKI(pkiDir);
    assert.deepEqual(again.serviceAccount, first.serviceAccount);
    await rm(join(pkiDir, 'sa.pub'));
    const restored = await ensureClusterPKI(pkiDir);
    assert.deepEqual(restored.serviceAccount, first.serviceAccount);
  } finally {
    await dir.remove();
  }
});
