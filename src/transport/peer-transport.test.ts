import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeId } from '../core/ids.js';
import { decodeJsonObject, encodeJsonFrame, FrameDecoder } from './frame-codec.js';
import { PROTOCOL_VERSION } from './handshake.js';
import type { PeerAddress } from './peer-link.js';
import type { PeerTransportOptions } from './peer-transport.js';
import { PeerTransport } from './peer-transport.js';
import { queryPeer } from './peer-query.js';
import type { TransportLogger } from './transport-logger.js';

interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

function captureLogger(lines: LogLine[]): TransportLogger {
  return {
    info: (message, fields) =>
      lines.push({ level: 'info', message, ...(fields ? { fields } : {}) }),
    warn: (message, fields) =>
      lines.push({ level: 'warn', message, ...(fields ? { fields } : {}) }),
    error: (message, fields) =>
      lines.push({ level: 'error', message, ...(fields ? { fields } : {}) }),
  };
}

type Message = { type: string; n?: number; text?: string; records?: string[] };

interface TestNode {
  readonly transport: PeerTransport<Message>;
  readonly received: { from: NodeId; message: Message }[];
  readonly log: LogLine[];
  address: PeerAddress;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const fastLimits = { backoffMsMin: 10, backoffMsMax: 100, handshakeTimeoutMs: 2000 };

async function startNode(
  nodeId: NodeId,
  overrides: Partial<PeerTransportOptions<Message>> = {},
): Promise<TestNode> {
  const received: TestNode['received'] = [];
  const log: LogLine[] = [];
  const transport = new PeerTransport<Message>({
    clusterId: 'cluster-a',
    nodeId,
    listen: { host: '127.0.0.1', port: 0 },
    peers: new Map(),
    onMessage: (from, message) => received.push({ from, message }),
    logger: captureLogger(log),
    limits: fastLimits,
    ...overrides,
  });
  const node: TestNode = { transport, received, log, address: { host: '', port: 0 } };
  node.address = await transport.start();
  cleanups.push(() => transport.close());
  return node;
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls until `condition` holds; the generous deadline only bounds a failing test. */
async function eventually(condition: () => boolean, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A raw TCP client that speaks the handshake by hand, to send arbitrary bytes afterwards. */
async function rawPeer(
  address: PeerAddress,
  hello: Record<string, unknown> | undefined,
): Promise<{ socket: Socket; answers: Record<string, unknown>[]; closed: Promise<void> }> {
  const socket = connect(address.port, address.host);
  socket.setNoDelay(true);
  const answers: Record<string, unknown>[] = [];
  const decoder = new FrameDecoder(1 << 20);
  socket.on('data', (chunk: Buffer) => answers.push(...decoder.push(chunk).map(decodeJsonObject)));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  cleanups.push(() => void socket.destroy());
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  if (hello !== undefined) {
    socket.write(encodeJsonFrame(hello, 1 << 20));
    await eventually(() => answers.length > 0, 'an answer to hello');
  }
  return { socket, answers, closed };
}

const hello = (nodeId: NodeId, toNodeId: NodeId, clusterId = 'cluster-a') => ({
  synod: 'hello',
  protocolVersion: PROTOCOL_VERSION,
  clusterId,
  nodeId,
  toNodeId,
});

describe('PeerTransport', () => {
  it('delivers messages between two nodes, in order, both ways', async () => {
    const a = await startNode(1);
    const b = await startNode(2);
    a.transport.setPeer(2, b.address);
    b.transport.setPeer(1, a.address);
    await eventually(() => a.transport.peerStates().get(2) === 'connected', 'a → b');
    await eventually(() => b.transport.peerStates().get(1) === 'connected', 'b → a');
    for (let n = 0; n < 100; n++) {
      expect(a.transport.send(2, { type: 'ping', n })).toBe(true);
      expect(b.transport.send(1, { type: 'pong', n })).toBe(true);
    }
    await eventually(() => a.received.length === 100 && b.received.length === 100, 'delivery');
    expect(b.received.map(({ from, message }) => [from, message.n])).toEqual(
      Array.from({ length: 100 }, (_, n) => [1, n]),
    );
    expect(a.received.every(({ from, message }) => from === 2 && message.type === 'pong')).toBe(
      true,
    );
  });

  it('reassembles frames split across TCP segments and several frames in one segment', async () => {
    const b = await startNode(2);
    const { socket, answers } = await rawPeer(b.address, hello(1, 2));
    expect(answers[0]).toMatchObject({ synod: 'welcome', clusterId: 'cluster-a', nodeId: 2 });
    const frame = encodeJsonFrame({ type: 'split', text: 'é'.repeat(50) }, 1024);
    for (const byte of frame) {
      socket.write(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const many = Buffer.concat(
      Array.from({ length: 5 }, (_, n) => encodeJsonFrame({ type: 'batch', n }, 1024)),
    );
    socket.write(many);
    await eventually(() => b.received.length === 6, 'six messages');
    expect(b.received[0]).toEqual({ from: 1, message: { type: 'split', text: 'é'.repeat(50) } });
    expect(b.received.slice(1).map(({ message }) => message.n)).toEqual([0, 1, 2, 3, 4]);
  });

  it('closes a connection that sends an oversized frame, logging why, and keeps serving', async () => {
    const b = await startNode(2, { limits: { ...fastLimits, frameBytesMax: 4096 } });
    const { socket, closed } = await rawPeer(b.address, hello(1, 2));
    const header = Buffer.alloc(4);
    header.writeUInt32BE(4097, 0);
    socket.write(header);
    await closed;
    expect(b.transport.stats().framesRejected).toBe(1);
    expect(
      b.log.some((line) => line.level === 'warn' && /4097 bytes exceeds/.test(line.message)),
    ).toBe(true);
    const second = await rawPeer(b.address, hello(1, 2));
    second.socket.write(encodeJsonFrame({ type: 'after' }, 1024));
    await eventually(() => b.received.length === 1, 'message after the rejected frame');
  });

  it('closes connections that send garbage: an HTTP request, non-JSON, a non-object', async () => {
    const b = await startNode(2);
    const http = await rawPeer(b.address, undefined);
    http.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await http.closed;
    const notJson = await rawPeer(b.address, undefined);
    notJson.socket.write(Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('{{{')]));
    await notJson.closed;
    const afterHello = await rawPeer(b.address, hello(1, 2));
    afterHello.socket.write(encodeJsonFrame([1, 2, 3], 1024));
    await afterHello.closed;
    expect(b.transport.stats().framesRejected).toBe(3);
    expect(b.received).toEqual([]);
  });

  it('refuses a node from another cluster, loudly on both sides, naming both cluster ids', async () => {
    const a = await startNode(1, { clusterId: 'cluster-a' });
    const b = await startNode(2, { clusterId: 'cluster-b' });
    a.transport.setPeer(2, b.address);
    await eventually(
      () => a.transport.stats().handshakesRefused > 0 && b.transport.stats().handshakesRefused > 0,
      'refusals on both sides',
    );
    for (const node of [a, b]) {
      const error = node.log.find((line) => line.level === 'error');
      expect(error?.message).toContain('"cluster-a"');
      expect(error?.message).toContain('"cluster-b"');
      expect(error?.fields).toMatchObject({
        localClusterId: node === a ? 'cluster-a' : 'cluster-b',
      });
    }
    expect(a.transport.send(2, { type: 'never' })).toBe(false);
    expect(b.received).toEqual([]);
    expect(a.transport.peerStates().get(2)).not.toBe('connected');
  });

  it('refuses a dialer that reached the wrong node id', async () => {
    const b = await startNode(2);
    const { answers, closed } = await rawPeer(b.address, hello(1, 3));
    await closed;
    expect(answers[0]).toMatchObject({ synod: 'refused' });
    expect(String(answers[0]?.reason)).toMatch(/dialed node 3, but this is node 2/);
  });

  it("refuses a dialer that claims this node's own id", async () => {
    const b = await startNode(2);
    const { answers, closed } = await rawPeer(b.address, hello(2, 2));
    await closed;
    expect(String(answers[0]?.reason)).toMatch(/duplicate node id/);
  });

  it('reconnects with backoff after the peer restarts, and drops messages while it is down', async () => {
    const a = await startNode(1);
    let b = await startNode(2);
    const port = b.address.port;
    a.transport.setPeer(2, b.address);
    await eventually(() => a.transport.peerStates().get(2) === 'connected', 'first connection');
    a.transport.send(2, { type: 'before' });
    await eventually(() => b.received.length === 1, 'first message');
    await b.transport.close();
    await eventually(() => a.transport.peerStates().get(2) === 'backoff', 'a notices b is gone');
    expect(a.transport.send(2, { type: 'while-down' })).toBe(false);
    expect(a.transport.stats().droppedPeerDown).toBeGreaterThanOrEqual(1);
    b = await startNode(2, { listen: { host: '127.0.0.1', port } });
    await eventually(() => a.transport.peerStates().get(2) === 'connected', 'reconnection');
    a.transport.send(2, { type: 'after' });
    await eventually(() => b.received.length === 1, 'message after restart');
    expect(b.received[0]?.message.type).toBe('after');
    expect(a.transport.stats().connectionsEstablished).toBe(2);
  });

  it('listens on every address given, and a peer may dial any of them', async () => {
    const b = await startNode(2, {
      listen: [
        { host: '127.0.0.1', port: 0 },
        { host: '127.0.0.1', port: 0 },
      ],
    });
    const [first, second] = b.transport.addresses();
    expect(first?.port).not.toBe(second?.port);
    const a = await startNode(1);
    const c = await startNode(3);
    a.transport.setPeer(2, first!);
    c.transport.setPeer(2, second!);
    a.transport.send(2, { type: 'via-first' });
    c.transport.send(2, { type: 'via-second' });
    await eventually(() => b.received.length === 2, 'a message on each address');
    expect(new Set(b.received.map(({ from }) => from))).toEqual(new Set([1, 3]));
  });

  it("dials a peer's next address when one does not answer, and keeps the one that works", async () => {
    const dead = await closedPort();
    const a = await startNode(1);
    const b = await startNode(2);
    a.transport.setPeer(2, [{ host: '127.0.0.1', port: dead }, b.address]);
    await eventually(() => a.transport.peerStates().get(2) === 'connected', 'the second address');
    a.transport.send(2, { type: 'hello' });
    await eventually(() => b.received.length === 1, 'delivery');
    expect(a.log.filter((line) => line.message.startsWith('cannot reach node 2'))).toHaveLength(1);
    expect(a.transport.stats().connectionsEstablished).toBe(1);
  });

  it('fails to start, listening nowhere, when one of its addresses is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = (taken.address() as { port: number }).port;
    const transport = new PeerTransport<Message>({
      clusterId: 'cluster-a',
      nodeId: 1,
      listen: [
        { host: '127.0.0.1', port: 0 },
        { host: '127.0.0.1', port },
      ],
      peers: new Map(),
      onMessage: () => undefined,
      logger: captureLogger([]),
    });
    cleanups.push(() => transport.close());
    await expect(transport.start()).rejects.toThrow(
      `cannot listen for peers on 127.0.0.1:${port}: listen EADDRINUSE`,
    );
    expect(transport.addresses()).toEqual([]);
  });

  it('bounds the outgoing queue: beyond queueMessagesMax, send refuses and counts', async () => {
    const a = await startNode(1, { limits: { ...fastLimits, queueMessagesMax: 10 } });
    const b = await startNode(2);
    a.transport.setPeer(2, b.address);
    await eventually(() => a.transport.peerStates().get(2) === 'connected', 'connection');
    // Within one tick nothing is flushed yet, so exactly the bound is accepted.
    const accepted = Array.from({ length: 100 }, (_, n) => a.transport.send(2, { type: 'x', n }));
    expect(accepted.filter(Boolean)).toHaveLength(10);
    expect(a.transport.stats().droppedQueueFull).toBe(90);
    await eventually(() => b.received.length === 10, 'the queued ten');
    expect(b.received.map(({ message }) => message.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('does not send a message above frameBytesMax, and says so', async () => {
    const a = await startNode(1, { limits: { ...fastLimits, frameBytesMax: 2048 } });
    const b = await startNode(2);
    a.transport.setPeer(2, b.address);
    await eventually(() => a.transport.peerStates().get(2) === 'connected', 'connection');
    expect(a.transport.send(2, { type: 'huge', text: 'h'.repeat(4096) })).toBe(false);
    expect(a.transport.send(2, { type: 'small' })).toBe(true);
    await eventually(() => b.received.length === 1, 'the small message');
    expect(a.transport.stats().droppedTooLarge).toBe(1);
    expect(a.log.some((line) => line.level === 'warn' && /exceeds/.test(line.message))).toBe(true);
    expect(a.transport.send(7, { type: 'nobody' })).toBe(false);
    expect(a.transport.stats().droppedUnknownPeer).toBe(1);
  });

  it('keeps memory bounded when the peer stops reading', async () => {
    // A peer that completes the handshake and then never reads again.
    const stalled: Socket[] = [];
    const server: Server = createServer((socket) => {
      stalled.push(socket);
      socket.once('data', () => {
        socket.write(
          encodeJsonFrame(
            {
              synod: 'welcome',
              protocolVersion: PROTOCOL_VERSION,
              clusterId: 'cluster-a',
              nodeId: 2,
            },
            1024,
          ),
        );
        socket.pause();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of stalled) socket.destroy();
          server.close(() => resolve());
        }),
    );
    const port = (server.address() as { port: number }).port;
    const a = await startNode(1, { limits: { ...fastLimits, queueMessagesMax: 64 } });
    a.transport.setPeer(2, { host: '127.0.0.1', port });
    await eventually(() => a.transport.peerStates().get(2) === 'connected', 'connection');
    const text = 'p'.repeat(64 * 1024);
    let accepted = 0;
    for (let round = 0; round < 2000 && a.transport.stats().droppedQueueFull === 0; round++) {
      for (let n = 0; n < 16; n++) if (a.transport.send(2, { type: 'bulk', text })) accepted++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(a.transport.stats().droppedQueueFull).toBeGreaterThan(0);
    // Kernel buffers plus one socket high-water mark plus the queue: far below what was offered.
    expect(accepted).toBeLessThan(2000 * 16);
  });

  it('closes cleanly: no sockets, servers or timers left behind', async () => {
    const tcpHandles = () =>
      process.getActiveResourcesInfo().filter((name) => name.startsWith('TCP')).length;
    // Sockets destroyed by earlier tests close asynchronously; start from none.
    await eventually(() => tcpHandles() === 0, 'earlier tests to release their sockets');
    const timers = () =>
      process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    const timersBefore = timers();
    const a = await startNode(1);
    const b = await startNode(2);
    a.transport.setPeer(2, b.address);
    b.transport.setPeer(1, a.address);
    a.transport.setPeer(3, { host: '127.0.0.1', port: 1 }); // nobody there: a backoff timer
    await eventually(() => a.transport.peerStates().get(2) === 'connected', 'connection');
    await eventually(() => a.transport.peerStates().get(3) === 'backoff', 'backoff');
    expect(tcpHandles()).toBeGreaterThan(0);
    await a.transport.close();
    await b.transport.close();
    await eventually(() => tcpHandles() === 0, 'all TCP handles closed');
    expect(timers()).toBeLessThanOrEqual(timersBefore);
    expect(a.transport.send(2, { type: 'late' })).toBe(false);
  });
});

describe('membership hooks', () => {
  it('refuses a node the owner says is removed, with a code the dialer is told', async () => {
    const refusals: { peer: NodeId; code: string }[] = [];
    let removed = false;
    const a = await startNode(1, {
      admit: (nodeId) =>
        removed && nodeId === 2 ? { code: 'removed', reason: 'node 2 was removed' } : undefined,
    });
    const b = await startNode(2, { onRefused: (peer, code) => refusals.push({ peer, code }) });
    b.transport.setPeer(1, a.address);
    a.transport.setPeer(2, b.address);
    await eventually(() => b.transport.send(1, { type: 'hi' }), 'b connected to a');
    await eventually(() => a.received.length > 0, 'a heard b');
    expect(b.transport.activeSince(1)).toBeLessThanOrEqual(Date.now());
    // Removing b at a closes b's connection too; b redials and is refused for good reason.
    removed = true;
    a.transport.removePeer(2);
    await eventually(() => refusals.length > 0, 'b refused');
    expect(refusals[0]).toEqual({ peer: 1, code: 'removed' });
    expect(a.transport.peerIds()).toEqual([]);
  });

  it('answers a query on the peer port with the owner answer, without a handshake', async () => {
    const a = await startNode(1, {
      onQuery: (query) => ({ echoed: query.type, clusterId: 'cluster-a' }),
    });
    const answer = await queryPeer(
      a.address,
      { type: 'members' },
      {
        timeoutMs: 2000,
        frameBytesMax: 1024 * 1024,
      },
    );
    expect(answer).toEqual({ echoed: 'members', clusterId: 'cluster-a' });
    const silent = await startNode(3);
    const refused = await queryPeer(
      silent.address,
      { type: 'members' },
      {
        timeoutMs: 2000,
        frameBytesMax: 1024 * 1024,
      },
    );
    expect(refused).toEqual({ error: 'this node answers no queries' });
    await expect(
      queryPeer(
        { host: '127.0.0.1', port: 1 },
        { type: 'members' },
        {
          timeoutMs: 2000,
          frameBytesMax: 1024,
        },
      ),
    ).rejects.toThrow('cannot reach 127.0.0.1:1');
  });
});

describe('messages in pieces (snapshots)', () => {
  const records = (count: number) => Array.from({ length: count }, (_, n) => `record-${n}`);

  async function connectedPair(overrides: Partial<PeerTransportOptions<Message>> = {}) {
    const a = await startNode(1, overrides);
    const b = await startNode(2, overrides);
    a.transport.setPeer(2, b.address);
    await eventually(() => a.transport.peerStates().get(2) === 'connected', 'a → b');
    return { a, b };
  }

  it('a message far above frameBytesMax arrives whole, behind the ordinary messages sent after it', async () => {
    const limits = { ...fastLimits, frameBytesMax: 64 * 1024 };
    const { a, b } = await connectedPair({ limits });
    const snapshot: Message = { type: 'snapshot', records: records(200_000) };
    expect(JSON.stringify(snapshot).length).toBeGreaterThan(40 * limits.frameBytesMax);
    expect(a.transport.sendInPieces(2, snapshot)).toBe(true);
    for (let n = 0; n < 5; n++) expect(a.transport.send(2, { type: 'heartbeat', n })).toBe(true);
    await eventually(() => b.received.length === 6, 'the heartbeats and the snapshot');
    expect(b.received.map(({ message }) => message.type)).toEqual([
      ...Array<string>(5).fill('heartbeat'),
      'snapshot',
    ]);
    expect(b.received[5]).toEqual({ from: 1, message: snapshot });
    expect(a.transport.stats()).toMatchObject({ messagesSentInPieces: 1, messagesSent: 6 });
    expect(b.transport.stats()).toMatchObject({ messagesReceivedInPieces: 1, messagesReceived: 6 });
  });

  it('one message in pieces travels at a time: another offered meanwhile is refused', async () => {
    const { a, b } = await connectedPair();
    expect(a.transport.sendInPieces(2, { type: 'snapshot', records: records(50_000) })).toBe(true);
    expect(a.transport.sendInPieces(2, { type: 'snapshot', n: 2 })).toBe(false);
    expect(a.transport.stats().droppedQueueFull).toBe(1);
    await eventually(() => b.received.length === 1, 'the first snapshot');
    expect(a.transport.sendInPieces(2, { type: 'snapshot', n: 3 })).toBe(true);
    await eventually(() => b.received.length === 2, 'the next one, once the first has left');
    expect(b.received[1]?.message).toEqual({ type: 'snapshot', n: 3 });
  });

  it('a piece above frameBytesMax drops that message, says so, and the link goes on', async () => {
    const limits = { ...fastLimits, frameBytesMax: 4096 };
    const { a, b } = await connectedPair({ limits });
    const hugeElement = 'x'.repeat(8192);
    expect(a.transport.sendInPieces(2, { type: 'snapshot', records: [hugeElement] })).toBe(true);
    await eventually(() => a.transport.stats().droppedTooLarge === 1, 'the drop');
    expect(a.log.some((line) => /in pieces to node 2 not sent/.test(line.message))).toBe(true);
    expect(a.transport.send(2, { type: 'after' })).toBe(true);
    expect(a.transport.sendInPieces(2, { type: 'snapshot', n: 1 })).toBe(true);
    await eventually(() => b.received.length === 2, 'later messages');
    expect(b.received.map(({ message }) => message.type)).toEqual(['after', 'snapshot']);
  });

  it('closes a connection that sends pieces out of order, a bad piece, or too many bytes', async () => {
    const b = await startNode(2, {
      limits: { ...fastLimits, frameBytesMax: 1024, streamBytesMax: 4096 },
    });
    const head = { value: { type: 'snapshot', records: [] }, arrays: [[['records'], 10_000]] };
    const cases: [RegExp, unknown[]][] = [
      [/piece 1 of stream 7 out of order \(expected piece 0 of stream none\)/, [[7, 1, [1]]]],
      [
        /piece 2 of stream 7 out of order/,
        [
          [7, 0, head],
          [7, 2, [1]],
        ],
      ],
      [
        /a slice overflows its array: 4 elements of 3/,
        [
          [7, 0, { ...head, arrays: [[['records'], 3]] }],
          [7, 1, [1, 2, 3, 4]],
        ],
      ],
      [/must be \[stream, index, piece\]/, [[7, 0]]],
      [
        /exceeds the 4096-byte limit/,
        [
          [7, 0, head],
          ...Array.from({ length: 60 }, (_, n) => [7, n + 1, Array<number>(40).fill(n)]),
        ],
      ],
    ];
    for (const [reason, frames] of cases) {
      const { socket, closed } = await rawPeer(b.address, hello(1, 2));
      for (const frame of frames) socket.write(encodeJsonFrame(frame, 4096));
      await closed.then(
        () => undefined,
        () => undefined,
      );
      expect(b.received).toEqual([]);
      expect(b.log.at(-1)?.message).toMatch(reason);
    }
    expect(b.transport.stats().framesRejected).toBe(cases.length);
    const second = await rawPeer(b.address, hello(1, 2));
    second.socket.write(encodeJsonFrame([3, 0, { value: { type: 'small' }, arrays: [] }], 1024));
    await eventually(() => b.received.length === 1, 'a well-formed message in one piece');
    expect(b.received[0]).toEqual({ from: 1, message: { type: 'small' } });
  });
});
