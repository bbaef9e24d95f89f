import { SynodError } from '../core/errors.js';

/** A parsed `http://host:port` URL, as etcd's `--listen-*-urls` flags take them. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

function badUrl(flag: string, text: string, why: string): SynodError {
  return new SynodError('SERVER_BAD_FLAG', `${flag}: "${text}" is not a valid URL: ${why}`);
}

/**
 * Parses `http://host:port`. Only http: TLS (https) is not supported yet, and saying so beats
 * silently serving plain text on a URL the operator believes is encrypted.
 */
export function parseHttpUrl(flag: string, text: string): HostPort {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badUrl(flag, text, 'expected http://host:port');
  }
  if (url.protocol === 'https:') throw badUrl(flag, text, 'https (TLS) is not supported yet');
  if (url.protocol !== 'http:') throw badUrl(flag, text, 'the scheme must be http');
  if (url.port === '') throw badUrl(flag, text, 'a port is required');
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '')
    throw badUrl(flag, text, 'no path, query or fragment allowed');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(url.port) };
}

/** A comma-separated list of URLs, at least one. */
export function parseUrlList(flag: string, text: string): { urls: string[]; first: HostPort } {
  const urls = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (urls.length === 0) throw badUrl(flag, text, 'at least one URL is required');
  const parsed = urls.map((url) => parseHttpUrl(flag, url));
  return { urls, first: parsed[0] as HostPort };
}
