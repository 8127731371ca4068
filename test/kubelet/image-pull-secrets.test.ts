import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { Secret } from 'kubernetes-types/core/v1.js';
import { credentialsFor, registryOf } from '../../src/kubelet/image-pull-secrets.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function dockerConfigJson(auths: Record<string, object>): Secret {
  return { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) } };
}

describe('kubelet imagePullSecrets', () => {
  it('names the registry of an image as the credential keyring does', () => {
    assert.equal(registryOf('busybox'), 'docker.io');
    assert.equal(registryOf('library/busybox:1.36'), 'docker.io');
    assert.equal(registryOf('127.0.0.1:5000/k8ts/webserver:1.0'), '127.0.0.1:5000');
    assert.equal(registryOf('registry.example.com/team/app@sha256:abc'), 'registry.example.com');
    assert.equal(registryOf('localhost/app'), 'localhost');
  });

  it('finds the credentials for the image\'s registry in dockerconfigjson and dockercfg secrets', () => {
    const secrets = [
      dockerConfigJson({ 'other.example.com': { auth: b64('x:y') } }),
      dockerConfigJson({ 'https://index.docker.io/v1/': { auth: b64('hub-user:hub:pass') } }),
      { type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64(JSON.stringify({ '127.0.0.1:5000': { username: 'local', password: 'secret' } })) } } as Secret,
    ];
    assert.deepEqual(credentialsFor('busybox:1.36', secrets), { username: 'hub-user', password: 'hub:pass', serverAddress: 'docker.io' });
    assert.deepEqual(credentialsFor('127.0.0.1:5000/k8ts/webserver:1.0', secrets), { username: 'local', password: 'secret', serverAddress: '127.0.0.1:5000' });
    assert.equal(credentialsFor('quay.io/app:1', secrets), undefined);
  });

  it('skips a malformed secret', () => {
    const broken: Secret = { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{not json') } };
    assert.equal(credentialsFor('busybox', [broken]), undefined);
  });
});
