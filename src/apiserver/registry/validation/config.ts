/**
 * ConfigMap and Secret (kube's ValidateConfigMap / ValidateSecret and their updates): keys that are valid
 * file names, at most 1 MiB of data in all, the keys each Secret type requires, and nothing changing once an
 * object is marked immutable.
 */
import { forbidden, immutable, invalid, obj, required, semanticEqual, str, tooLong, type FieldError, type Fields } from './field.js';

/** kube's MaxSecretSize (it bounds ConfigMaps too): 1 MiB. */
export const MAX_SECRET_SIZE = 1024 * 1024;

/** IsConfigMapKey: at most 253 characters of alphanumerics, '-', '_' and '.', and not '.', '..' or '..'-prefixed. */
export function configMapKeyErrors(key: string): string[] {
  const errs: string[] = [];
  if (Buffer.byteLength(key) > 253) errs.push('must be no more than 253 characters');
  if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
    errs.push(
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    );
  }
  if (key === '.') errs.push("must not be '.'");
  else if (key === '..') errs.push("must not be '..'");
  else if (key.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/** The bytes a `binaryData`/Secret `data` value holds (base64 in JSON). */
function decodedLength(v: unknown): number {
  return typeof v === 'string' ? Buffer.from(v, 'base64').length : 0;
}

/** ValidateConfigMap. */
export function validateConfigMap(cm: Fields): FieldError[] {
  const errs: FieldError[] = [];
  const data = obj(cm.data) ?? {};
  const binary = obj(cm.binaryData) ?? {};
  let total = 0;
  for (const [key, value] of Object.entries(data)) {
    for (const m of configMapKeyErrors(key)) errs.push(invalid(`data[${key}]`, key, m));
    if (key in binary) errs.push(invalid(`data[${key}]`, key, 'duplicate of key present in binaryData'));
    total += Buffer.byteLength(str(value));
  }
  for (const [key, value] of Object.entries(binary)) {
    for (const m of configMapKeyErrors(key)) errs.push(invalid(`binaryData[${key}]`, key, m));
    if (key in data) errs.push(invalid(`binaryData[${key}]`, key, 'duplicate of key present in data'));
    total += decodedLength(value);
  }
  // kube reports the size at the empty path: the whole object is too big.
  if (total > MAX_SECRET_SIZE) errs.push(tooLong('', MAX_SECRET_SIZE));
  return errs;
}

/** The keys each built-in Secret type must carry. */
function secretTypeErrors(secret: Fields, data: Fields): FieldError[] {
  const has = (k: string): boolean => k in data;
  switch (str(secret.type)) {
    case 'kubernetes.io/service-account-token': {
      const annotations = obj(obj(secret.metadata)?.annotations) ?? {};
      return str(annotations['kubernetes.io/service-account.name']) === ''
        ? [required('metadata.annotations[kubernetes.io/service-account.name]', '')]
        : [];
    }
    case 'kubernetes.io/dockercfg':
      return has('.dockercfg') ? [] : [required('data[.dockercfg]', '')];
    case 'kubernetes.io/dockerconfigjson':
      return has('.dockerconfigjson') ? [] : [required('data[.dockerconfigjson]', '')];
    case 'kubernetes.io/basic-auth':
      return has('username') || has('password') ? [] : [required('data[username]', ''), required('data[password]', '')];
    case 'kubernetes.io/ssh-auth':
      return decodedLength(data['ssh-privatekey']) > 0 ? [] : [required('data[ssh-privatekey]', '')];
    case 'kubernetes.io/tls':
      return [...(has('tls.crt') ? [] : [required('data[tls.crt]', '')]), ...(has('tls.key') ? [] : [required('data[tls.key]', '')])];
    default:
      return [];
  }
}

/** ValidateSecret. */
export function validateSecret(secret: Fields): FieldError[] {
  const errs: FieldError[] = [];
  const data = obj(secret.data) ?? {};
  let total = 0;
  for (const [key, value] of Object.entries(data)) {
    for (const m of configMapKeyErrors(key)) errs.push(invalid(`data[${key}]`, key, m));
    total += decodedLength(value);
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong('data', MAX_SECRET_SIZE));
  errs.push(...secretTypeErrors(secret, data));
  return errs;
}

/** What an object marked `immutable: true` may not change: the flag itself and its data. */
function immutableData(next: Fields, old: Fields, dataFields: string[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (next.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of dataFields) if (!semanticEqual(next[f], old[f])) errs.push(forbidden(f, 'field is immutable when `immutable` is set'));
  return errs;
}

/** ValidateConfigMapUpdate. */
export function validateConfigMapUpdate(cm: Fields, old: Fields): FieldError[] {
  return [...immutableData(cm, old, ['data', 'binaryData']), ...validateConfigMap(cm)];
}

/** ValidateSecretUpdate: the type never changes. */
export function validateSecretUpdate(secret: Fields, old: Fields): FieldError[] {
  return [...immutable('type', secret.type, old.type, str(secret.type)), ...immutableData(secret, old, ['data']), ...validateSecret(secret)];
}
