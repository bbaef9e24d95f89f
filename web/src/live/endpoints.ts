/** More endpoints than the ring draws (the simulator's 9) is a typo, not a cluster. */
export const LIVE_ENDPOINTS_MAX = 9;

export type EndpointsResult =
  | { readonly ok: true; readonly endpoints: readonly string[] }
  | { readonly ok: false; readonly error: string };

/**
 * The members' HTTP endpoints (the `--listen-metrics-urls` that serve /metrics) as a person types
 * them: comma- or space-separated, `http://host:port` or just `host:port`. Each becomes an origin
 * (`http://127.0.0.1:2381`); anything else is refused with the entry named.
 */
export function parseEndpoints(text: string): EndpointsResult {
  const entries = text
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0)
    return { ok: false, error: 'enter at least one endpoint, e.g. http://127.0.0.1:2381' };
  if (entries.length > LIVE_ENDPOINTS_MAX)
    return {
      ok: false,
      error: `at most ${LIVE_ENDPOINTS_MAX} endpoints, got ${entries.length}`,
    };
  const endpoints: string[] = [];
  for (const entry of entries) {
    const parsed = parseEndpoint(entry);
    if (typeof parsed !== 'string') return { ok: false, error: parsed.error };
    if (endpoints.includes(parsed)) return { ok: false, error: `"${entry}" is listed twice` };
    endpoints.push(parsed);
  }
  return { ok: true, endpoints };
}

function parseEndpoint(entry: string): string | { error: string } {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) ? entry : `http://${entry}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { error: `"${entry}" is not a URL (expected http://host:port)` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { error: `"${entry}": only http and https endpoints, not ${url.protocol}` };
  if (url.username !== '' || url.password !== '')
    return { error: `"${entry}": credentials in the URL are not supported` };
  if (url.port === '')
    return { error: `"${entry}" has no port (the member's --listen-metrics-urls port)` };
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '')
    return { error: `"${entry}": give only scheme, host and port; the page adds the path` };
  return url.origin;
}
