import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Test support: a certificate authority and certificates made with Debian's openssl at test time
 * (`.ci/run` installs it), so no key material lives in the repository.
 */

export const OPENSSL = '/usr/bin/openssl';

export function opensslExists(): boolean {
  return existsSync(OPENSSL);
}

export interface CertificatePair {
  readonly cert: string;
  readonly key: string;
}

function openssl(args: readonly string[]): void {
  execFileSync(OPENSSL, [...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export class TestCa {
  private serial = 1;

  private constructor(
    readonly dir: string,
    readonly name: string,
    readonly cert: string,
    private readonly key: string,
  ) {}

  /** A self-signed CA (EC P-256: fast to make) in `dir`, its files prefixed with `name`. */
  static create(dir: string, name: string): TestCa {
    const key = join(dir, `${name}-ca-key.pem`);
    const cert = join(dir, `${name}-ca.pem`);
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
    openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      key,
      '-sha256',
      '-days',
      '2',
      '-subj',
      `/CN=${name} test CA`,
      '-out',
      cert,
    ]);
    return new TestCa(dir, name, cert, key);
  }

  /**
   * A certificate signed by this CA for 127.0.0.1 and localhost, usable by servers and clients
   * (etcd's peers are both).
   */
  issue(commonName: string): CertificatePair {
    const base = join(this.dir, `${this.name}-${commonName}`);
    const key = `${base}-key.pem`;
    const csr = `${base}.csr`;
    const cert = `${base}.pem`;
    const extensions = `${base}.ext`;
    writeFileSync(
      extensions,
      'basicConstraints=CA:FALSE\n' +
        'keyUsage=digitalSignature,keyEncipherment\n' +
        'extendedKeyUsage=serverAuth,clientAuth\n' +
        'subjectAltName=IP:127.0.0.1,DNS:localhost\n',
    );
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
    openssl(['req', '-new', '-key', key, '-subj', `/CN=${commonName}`, '-out', csr]);
    openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      this.cert,
      '-CAkey',
      this.key,
      '-set_serial',
      String(this.serial++),
      '-days',
      '2',
      '-sha256',
      '-extfile',
      extensions,
      '-out',
      cert,
    ]);
    return { cert, key };
  }
}
