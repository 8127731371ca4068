import 'reflect-metadata';
import { createPublicKey, generateKeyPair, webcrypto, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { isPodNetworkInterface } from '../util/netif.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;

/** A certificate and its private key, both PEM. */
export interface KeyPair {
  cert: string;
  key: string;
}

/** The service account signing key pair (`sa.key`, `sa.pub`), both PEM: PKCS#8 private key, SPKI public key. */
export interface ServiceAccountKeyPair {
  key: string;
  pub: string;
}

/**
 * The cluster's certificates: a CA, the apiserver's serving certificate, the admin's client certificate, and
 * the key pair service account tokens are signed with.
 */
export interface ClusterPKI {
  ca: KeyPair;
  serving: KeyPair;
  admin: KeyPair;
  /** The apiserver's client certificate for kubelets (kube's apiserver-kubelet-client, in system:masters). */
  kubeletClient: KeyPair;
  serviceAccount: ServiceAccountKeyPair;
}

export interface PKIOptions {
  /** Extra DNS names and IP addresses the serving certificate must be valid for. */
  sans?: string[];
  /** The first address of the service CIDR (the `kubernetes` Service's clusterIP). */
  serviceIP?: string;
  clusterDomain?: string;
}

/**
 * The names the apiserver answers to, as kube-apiserver's serving certificate lists them: localhost and the
 * loopback address, this machine's hostname and addresses, the `kubernetes` Service's names and clusterIP.
 */
export function defaultSANs(opts: PKIOptions = {}): string[] {
  const domain = opts.clusterDomain ?? 'cluster.local';
  const names = new Set<string>([
    'localhost',
    '127.0.0.1',
    '::1',
    hostname(),
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    `kubernetes.default.svc.${domain}`,
    opts.serviceIP ?? '10.96.0.1',
  ]);
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    // Pod networking (the node agent's bridges and veths) is not how clients reach the apiserver, and a
    // node with many pods would otherwise put hundreds of addresses in the certificate.
    if (isPodNetworkInterface(name)) continue;
    for (const addr of addrs ?? []) {
      if (addr.family === 'IPv6' && (addr.internal || addr.address.toLowerCase().startsWith('fe80:'))) continue;
      names.add(addr.address.split('%')[0]!);
    }
  }
  for (const san of opts.sans ?? []) names.add(san);
  return [...names];
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyToPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function pemToKey(pem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), ALGORITHM, true, ['sign']);
}

const serial = (): string => '01' + randomBytes(15).toString('hex');

/** A new self-signed CA (also what a node agent without the cluster CA key signs its own serving certificate with). */
export async function createCA(): Promise<KeyPair> {
  const keys = await newKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=k8ts-ca',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 10 * 365 * DAY),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await keyToPem(keys.privateKey) };
}

/** Issues a leaf certificate signed by the CA: for serving (with SANs) or for a client (user = CN, groups = O). */
export async function issueCertificate(
  ca: KeyPair,
  params: { subject: string; usage: 'server' | 'client'; sans?: string[]; validDays?: number },
): Promise<KeyPair> {
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await pemToKey(ca.key);
  const keys = await newKeys();
  const now = Date.now();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([params.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
  ];
  if (params.sans?.length) {
    const names = params.sans.map((san) => ({ type: isIP(san) ? ('ip' as const) : ('dns' as const), value: san }));
    extensions.push(new x509.SubjectAlternativeNameExtension(names));
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: params.subject,
    issuer: caCert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + (params.validDays ?? 365) * DAY),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: ALGORITHM,
    extensions,
  });
  return { cert: cert.toString('pem'), key: await keyToPem(keys.privateKey) };
}

/** The SANs a PEM certificate carries, as plain names and addresses. */
export function certificateSANs(pem: string): string[] {
  const ext = new x509.X509Certificate(pem).getExtension(x509.SubjectAlternativeNameExtension);
  return ext ? ext.names.items.map((n) => n.value) : [];
}

async function readPair(dir: string, name: string): Promise<KeyPair | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(join(dir, `${name}.crt`), 'utf8'), readFile(join(dir, `${name}.key`), 'utf8')]);
    return { cert, key };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function writePair(dir: string, name: string, pair: KeyPair): Promise<void> {
  await writeFile(join(dir, `${name}.crt`), pair.cert, { mode: 0o644 });
  await writeFile(join(dir, `${name}.key`), pair.key, { mode: 0o600 });
}

/**
 * Loads the cluster's certificates from `dir` (`<data-dir>/pki`), creating what is missing on first start:
 * the CA, a serving certificate for every name in `defaultSANs` (re-issued when a name is missing, e.g. a new
 * address), and an admin client certificate (CN=kubernetes-admin, O=system:masters). A restart keeps them.
 */
export async function ensureClusterPKI(dir: string, opts: PKIOptions = {}): Promise<ClusterPKI> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let ca = await readPair(dir, 'ca');
  const fresh = !ca;
  if (!ca) {
    ca = await createCA();
    await writePair(dir, 'ca', ca);
  }
  const sans = defaultSANs(opts);
  let serving = fresh ? undefined : await readPair(dir, 'apiserver');
  const served = serving ? new Set(certificateSANs(serving.cert)) : undefined;
  if (!serving || !sans.every((san) => served!.has(san))) {
    serving = await issueCertificate(ca, { subject: 'CN=kube-apiserver', usage: 'server', sans });
    await writePair(dir, 'apiserver', serving);
  }
  let admin = fresh ? undefined : await readPair(dir, 'admin');
  if (!admin) {
    admin = await issueCertificate(ca, { subject: 'CN=kubernetes-admin, O=system:masters', usage: 'client' });
    await writePair(dir, 'admin', admin);
  }
  let kubeletClient = fresh ? undefined : await readPair(dir, 'apiserver-kubelet-client');
  if (!kubeletClient) {
    kubeletClient = await issueCertificate(ca, { subject: 'CN=kube-apiserver-kubelet-client, O=system:masters', usage: 'client' });
    await writePair(dir, 'apiserver-kubelet-client', kubeletClient);
  }
  const serviceAccount = await ensureServiceAccountKey(dir);
  return { ca, serving, admin, kubeletClient, serviceAccount };
}

/**
 * The service account signing key, as kubeadm makes it (`sa.key`, RSA 2048, and its public half `sa.pub`):
 * created once and kept, since every token it signed stops verifying when it changes.
 */
async function ensureServiceAccountKey(dir: string): Promise<ServiceAccountKeyPair> {
  const read = async (name: string): Promise<string | undefined> =>
    readFile(join(dir, name), 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
  let key = await read('sa.key');
  if (!key) {
    const pair = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
    key = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await writeFile(join(dir, 'sa.key'), key, { mode: 0o600 });
  }
  let pub = await read('sa.pub');
  if (!pub) {
    pub = createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string;
    await writeFile(join(dir, 'sa.pub'), pub, { mode: 0o644 });
  }
  return { key, pub };
}
