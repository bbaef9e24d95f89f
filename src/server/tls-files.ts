import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { SynodError } from '../core/errors.js';

/** etcd's TLS flags for one listener (client or peer), as paths; validated by `loadTls`. */
export interface TlsFiles {
  /** The flag prefix in messages: "--" for the client port, "--peer-" for peers. */
  readonly flagPrefix: '--' | '--peer-';
  readonly certFile: string;
  readonly keyFile: string;
  readonly trustedCaFile: string | undefined;
  readonly clientCertAuth: boolean;
}

/** The PEM contents, read and checked, ready for node:tls. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | undefined;
  readonly clientCertAuth: boolean;
  /** Auto TLS between peers: any peer certificate is accepted (each member's is self-signed). */
  readonly skipVerify?: boolean;
}

function bad(message: string): SynodError {
  return new SynodError('SERVER_BAD_TLS', message);
}

function readPem(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw bad(`${flag} ${path}: cannot read it: ${(error as Error).message}`);
  }
}

/** Every certificate in a PEM bundle must parse; at least one must be there. */
function checkCertificates(flag: string, path: string, pem: Buffer): void {
  const blocks = pem
    .toString('latin1')
    .match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  if (blocks === null) throw bad(`${flag} ${path}: no PEM certificate in it`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw bad(`${flag} ${path}: not a valid certificate: ${(error as Error).message}`);
    }
  }
}

/**
 * Reads and checks a listener's certificate, key and CA bundle at start-up, so a wrong path or a
 * bad file stops the member with the file named instead of failing every handshake later.
 */
export function loadTls(files: TlsFiles): TlsMaterial {
  const prefix = files.flagPrefix;
  const cert = readPem(`${prefix}cert-file`, files.certFile);
  checkCertificates(`${prefix}cert-file`, files.certFile, cert);
  const key = readPem(`${prefix}key-file`, files.keyFile);
  try {
    createPrivateKey(key);
  } catch (error) {
    throw bad(
      `${prefix}key-file ${files.keyFile}: not a valid PEM private key (an encrypted key is not ` +
        `supported): ${(error as Error).message}`,
    );
  }
  let ca: Buffer | undefined;
  if (files.trustedCaFile !== undefined) {
    ca = readPem(`${prefix}trusted-ca-file`, files.trustedCaFile);
    checkCertificates(`${prefix}trusted-ca-file`, files.trustedCaFile, ca);
  }
  try {
    createSecureContext({ cert, key, ca });
  } catch (error) {
    throw bad(
      `${prefix}key-file ${files.keyFile} does not match ${prefix}cert-file ${files.certFile}: ` +
        (error as Error).message,
    );
  }
  return { cert, key, ca, clientCertAuth: files.clientCertAuth };
}
