import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNodeFlags } from './config.js';
import { EtcdServer } from './etcd-server.js';
import { LIVE_STATE_PATH, LIVE_STATE_STREAM_PATH, LIVE_STATE_VERSION } from './live-state.js';
import { silentLogger } from './logger.js';
import { freePort, waitUntil } from './testing/process-cluster.js';

describe.each(['raft', 'multipaxos'])(
  'the live-state endpoint of a one-member %s server',
  (engine) => {
    let dataDir: string;
    let server: EtcdServer;
    let base: string;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'synod-live-'));
      const metricsPort = await freePort();
      base = `http://127.0.0.1:${metricsPort}`;
      const config = parseNodeFlags({
        name: 'solo',
        engine,
        dataDir,
        listenClientUrls: `http://127.0.0.1:${await freePort()}`,
        listenPeerUrls: `http://127.0.0.1:${await freePort()}`,
        listenMetricsUrls: base,
      });
      server = await EtcdServer.start(config, {
        logger: silentLogger,
        onFatal: (error) => {
          throw error;
        },
      });
      await waitUntil(() => server.runtime.leader() !== undefined, 10_000);
    }, 20_000);

    afterAll(async () => {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('answers its state as versioned JSON that any origin may read', async () => {
      await server.runtime.submit({ type: 'put', request: { key: 'k', value: 'v' } }, 5000);
      const response = await fetch(`${base}${LIVE_STATE_PATH}`, {
        headers: { origin: 'http://elsewhere.example' },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('content-type')).toBe('application/json');
      const state = (await response.json()) as Record<string, unknown>;
      const self = { name: 'solo', id: server.config.self.memberId.toString(16), nodeId: 0 };
      expect(state).toMatchObject({
        version: LIVE_STATE_VERSION,
        member: self,
        members: [self],
        clusterId: server.config.clusterId.toString(16),
        engine,
        role: 'leader',
        leader: self,
        followers: [],
        messages: { sent: {}, received: {} },
      });
      expect(state['term']).toBeGreaterThanOrEqual(1);
      const applied = state['appliedIndex'] as number;
      expect(applied).toBeGreaterThanOrEqual(1);
      expect(state['committedIndex']).toBeGreaterThanOrEqual(applied);
      const log = state['log'] as { firstIndex: number; lastIndex: number };
      expect(log.lastIndex).toBeGreaterThanOrEqual(log.firstIndex);
      const inspection = state['inspection'] as { role: string; epoch: { name: string } };
      expect(inspection.role).toBe('leader');
      expect(inspection.epoch.name).toBe(engine === 'raft' ? 'term' : 'ballot');
      expect(Math.abs((state['timestampMs'] as number) - Date.now())).toBeLessThan(60_000);
      expect(state['startedAtMs']).toBeLessThanOrEqual(state['timestampMs'] as number);
    });

    it('answers a CORS preflight and refuses writes', async () => {
      const preflight = await fetch(`${base}${LIVE_STATE_PATH}`, { method: 'OPTIONS' });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
      expect((await fetch(`${base}${LIVE_STATE_PATH}`, { method: 'POST' })).status).toBe(405);
    });

    it('streams the state as server-sent events', async () => {
      const controller = new AbortController();
      const response = await fetch(`${base}${LIVE_STATE_STREAM_PATH}`, {
        signal: controller.signal,
      });
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      const reader = response.body!.getReader();
      let text = '';
      while ((text.match(/\n\n/g) ?? []).length < 2) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += new TextDecoder().decode(chunk.value);
      }
      controller.abort();
      const events = text.split('\n\n').filter((event) => event.startsWith('data: '));
      expect(events.length).toBeGreaterThanOrEqual(2);
      const stamps = events.map(
        (event) =>
          (JSON.parse(event.slice('data: '.length)) as { timestampMs: number }).timestampMs,
      );
      expect(stamps[1]).toBeGreaterThanOrEqual(stamps[0]!);
    });
  },
);
