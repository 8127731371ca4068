/**
 * Authentication: who is asking. Client certificates signed by the cluster CA (user = CN, groups = O) and
 * bearer tokens from a static token file, behind one interface so other methods (service account tokens)
 * slot in.
 */
import type { IncomingMessage } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { TLSSocket } from 'node:tls';
import { parse as parseCSV } from 'csv-parse/sync';

export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  /** Extra attributes an authenticator records (a service account token's pod, node, credential id). */
  extra?: Record<string, string[]>;
}

/** Says who sent a request, or undefined when this method does not apply (another may). */
export interface Authenticator {
  authenticate(req: IncomingMessage): UserInfo | undefined;
}

/** Every authenticated user is in this group, as in Kubernetes. */
const AUTHENTICATED = 'system:authenticated';

/** Users from client certificates the TLS layer verified against the cluster CA. */
export class X509Authenticator implements Authenticator {
  /** A connection's certificate does not change: decode it once per connection, not per request. */
  private readonly users = new WeakMap<TLSSocket, UserInfo | null>();

  authenticate(req: IncomingMessage): UserInfo | undefined {
    const socket = req.socket as TLSSocket;
    if (!socket.encrypted || !socket.authorized) return undefined;
    let user = this.users.get(socket);
    if (user === undefined) {
      user = this.fromCertificate(socket) ?? null;
      this.users.set(socket, user);
    }
    return user ?? undefined;
  }

  private fromCertificate(socket: TLSSocket): UserInfo | undefined {
    const cert = socket.getPeerCertificate();
    if (!cert?.subject?.CN) return undefined;
    const cn = cert.subject.CN;
    const org = cert.subject.O as string | string[] | undefined;
    const groups = org === undefined ? [] : Array.isArray(org) ? [...org] : [org];
    return { name: Array.isArray(cn) ? cn[0]! : cn, groups: withAuthenticated(groups) };
  }
}

/**
 * Users from kube-apiserver's static token file: CSV lines `token,user,uid[,"group1,group2"]`.
 */
export class TokenFileAuthenticator implements Authenticator {
  private constructor(private readonly tokens: ReadonlyMap<string, UserInfo>) {}

  static async load(path: string): Promise<TokenFileAuthenticator> {
    return TokenFileAuthenticator.parse(await readFile(path, 'utf8'), path);
  }

  static parse(text: string, source = 'token file'): TokenFileAuthenticator {
    const rows = parseCSV(text, { relax_column_count: true, skip_empty_lines: true, trim: true, comment: '#' }) as string[][];
    const tokens = new Map<string, UserInfo>();
    rows.forEach((row, i) => {
      const [token, name, uid, groups] = row;
      if (!token || !name || row.length < 3) throw new Error(`${source}: line ${i + 1}: want token,user,uid[,"groups"]`);
      if (tokens.has(token)) throw new Error(`${source}: line ${i + 1}: duplicate token`);
      const groupList = (groups ?? '').split(',').map((g) => g.trim()).filter(Boolean);
      tokens.set(token, { name, uid: uid ?? '', groups: withAuthenticated(groupList) });
    });
    return new TokenFileAuthenticator(tokens);
  }

  authenticate(req: IncomingMessage): UserInfo | undefined {
    const header = req.headers.authorization;
    if (!header) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return undefined;
    return this.tokens.get(m[1]!);
  }
}

/** Tries each authenticator in turn. */
export class UnionAuthenticator implements Authenticator {
  constructor(private readonly authenticators: readonly Authenticator[]) {}

  authenticate(req: IncomingMessage): UserInfo | undefined {
    for (const a of this.authenticators) {
      const user = a.authenticate(req);
      if (user) return user;
    }
    return undefined;
  }
}

function withAuthenticated(groups: string[]): string[] {
  return groups.includes(AUTHENTICATED) ? groups : [...groups, AUTHENTICATED];
}
