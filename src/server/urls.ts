import { SynodError } from '../core/errors.js';

/** A parsed `http(s)://host:port` URL, as etcd's `--listen-*-urls` flags take them. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

function badUrl(flag: string, text: string, why: string): SynodError {
  return new SynodError('SERVER_BAD_FLAG', `${flag}: "${text}" is not a valid URL: ${why}`);
}

/** Whether the URL is https (TLS); the caller checks that certificates were given for it. */
export function isHttpsUrl(text: string): boolean {
  return text.trim().toLowerCase().startsWith('https://');
}

/** Parses `http://host:port` or `https://host:port`. */
export function parseHttpUrl(flag: string, text: string): HostPort {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badUrl(flag, text, 'expected http://host:port or https://host:port');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw badUrl(flag, text, 'the scheme must be http or https');
  if (url.port === '') throw badUrl(flag, text, 'a port is required');
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '')
    throw badUrl(flag, text, 'no path, query or fragment allowed');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(url.port) };
}

/**
 * A comma-separated list of URLs, at least one, all http or all https (one listener serves one
 * scheme here). `secure` says which.
 */
export function parseUrlList(
  flag: string,
  text: string,
): { urls: string[]; all: HostPort[]; secure: boolean } {
  const urls = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (urls.length === 0) throw badUrl(flag, text, 'at least one URL is required');
  const parsed = addressesOf(flag, urls);
  const secure = isHttpsUrl(urls[0] as string);
  if (urls.some((url) => isHttpsUrl(url) !== secure))
    throw badUrl(flag, text, 'mixes http and https URLs; use one scheme');
  const seen = new Set<string>();
  for (const { host, port } of parsed) {
    const key = `${host}:${port}`;
    if (seen.has(key)) throw badUrl(flag, text, `lists ${key} twice`);
    seen.add(key);
  }
  return { urls, all: parsed, secure };
}

/** URLs as host and port, in order (each checked as `parseHttpUrl` checks it). */
export function addressesOf(flag: string, urls: readonly string[]): HostPort[] {
  return urls.map((url) => parseHttpUrl(flag, url));
}
