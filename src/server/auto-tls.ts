import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import selfsigned from 'selfsigned';
import { SynodError } from '../core/errors.js';
import type { NodeConfig } from './config.js';
import type { TlsMaterial } from './tls-files.js';

/**
 * etcd's `--auto-tls` and `--peer-auto-tls`: with https URLs and no certificate files, the member
 * makes itself a self-signed certificate (EC P-256, valid a year, for its listen hosts, localhost
 * and 127.0.0.1) under `<data-dir>/fixtures/client` or `fixtures/peer`, and reuses it at the next
 * start. The traffic is encrypted but nobody is authenticated: clients connect with
 * `--insecure-skip-tls-verify`, and peers, each with its own certificate, do not verify each other
 * (etcd sets InsecureSkipVerify the same way). For real deployments, give certificate files.
 */

const VALIDITY_DAYS = 365;

/** The config with its auto TLS material made (or loaded from an earlier start). */
export async function withAutoTls(config: NodeConfig): Promise<NodeConfig> {
  const auto = config.autoTls;
  if (auto === undefined) return config;
  const clientTls =
    auto.client === undefined
      ? config.clientTls
      : await certificateFor(join(config.dataDir, 'fixtures', 'client'), auto.client, false);
  const peerTls =
    auto.peer === undefined
      ? config.peerTls
      : await certificateFor(join(config.dataDir, 'fixtures', 'peer'), auto.peer, true);
  return { ...config, clientTls, peerTls };
}

async function certificateFor(
  folder: string,
  hosts: readonly string[],
  skipVerify: boolean,
): Promise<TlsMaterial> {
  const certPath = join(folder, 'cert.pem');
  const keyPath = join(folder, 'key.pem');
  const existing = await readPair(certPath, keyPath);
  if (existing !== undefined)
    return { ...existing, ca: undefined, clientCertAuth: false, skipVerify };
  const names = [...new Set(['localhost', '127.0.0.1', ...hosts])];
  const notAfter = new Date(Date.now() + VALIDITY_DAYS * 24 * 3600 * 1000);
  let pems: { private: string; cert: string };
  try {
    pems = await selfsigned.generate([{ name: 'commonName', value: 'synod' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notAfterDate: notAfter,
      extensions: [
        {
          name: 'subjectAltName',
          altNames: names.map((name) =>
            isIP(name) === 0 ? { type: 2, value: name } : { type: 7, ip: name },
          ),
        },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      ],
    });
  } catch (error) {
    throw new SynodError(
      'SERVER_BAD_TLS',
      `auto TLS: could not make a certificate: ${(error as Error).message}`,
    );
  }
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await writeAtomically(keyPath, pems.private, 0o600);
  await writeAtomically(certPath, pems.cert, 0o644);
  return {
    cert: Buffer.from(pems.cert),
    key: Buffer.from(pems.private),
    ca: undefined,
    clientCertAuth: false,
    skipVerify,
  };
}

/** A certificate made at an earlier start, if both files are there and it has not expired. */
async function readPair(
  certPath: string,
  keyPath: string,
): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  const cert = await readFile(certPath).catch(() => undefined);
  const key = await readFile(keyPath).catch(() => undefined);
  if (cert === undefined || key === undefined) return undefined;
  try {
    if (new Date(new X509Certificate(cert).validTo).getTime() <= Date.now()) return undefined;
  } catch {
    return undefined; // damaged: make a new one
  }
  return { cert, key };
}

async function writeAtomically(path: string, text: string, mode: number): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeFile(temporary, text, { mode });
  await rename(temporary, path);
}
