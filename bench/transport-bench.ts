/**
 * Peer transport throughput on loopback: one node streams messages to another as fast as the
 * bounded queue accepts them; reports messages/s and MB/s received, for ~100 B and ~1 KiB messages.
 * The receiver runs in a worker thread, so sender and receiver each have an event loop, as two
 * nodes would.
 *
 *   npm run build && node dist/bench/transport-bench.js [--seconds 3]
 */
import { cpus } from 'node:os';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { PeerTransport } from '../src/transport/peer-transport.js';

type BenchMessage = { type: 'append'; term: number; index: number; data: string };

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

/** The receiving node, in a worker: reports its address, counts messages, reports the count. */
async function receiverWorker(): Promise<void> {
  const port = parentPort;
  if (port === null) return;
  let received = 0;
  const receiver = new PeerTransport<BenchMessage>({
    clusterId: 'bench',
    nodeId: 2,
    listen: { host: '127.0.0.1', port: 0 },
    peers: new Map(),
    onMessage: () => received++,
  });
  port.postMessage(await receiver.start());
  port.once('message', () => {
    port.postMessage(received);
    void receiver.close().then(() => port.close());
  });
}

function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise((resolve) => worker.once('message', resolve));
}

async function run(messageBytes: number, seconds: number) {
  const worker = new Worker(new URL(import.meta.url));
  const receiverAddress = await nextMessage<{ host: string; port: number }>(worker);
  const sender = new PeerTransport<BenchMessage>({
    clusterId: 'bench',
    nodeId: 1,
    listen: { host: '127.0.0.1', port: 0 },
    peers: new Map([[2, receiverAddress]]),
    onMessage: () => {},
  });
  await sender.start();
  while (sender.peerStates().get(2) !== 'connected') {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const message: BenchMessage = {
    type: 'append',
    term: 3,
    index: 0,
    data: 'd'.repeat(Math.max(0, messageBytes - 50)),
  };
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let refused = 0;
  while (performance.now() < deadline) {
    // Offer messages until the queue refuses, then yield so the socket can drain.
    for (let n = 0; n < 4096; n++) {
      message.index++;
      if (!sender.send(2, message)) {
        refused++;
        break;
      }
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const countReply = nextMessage<number>(worker);
  worker.postMessage('stop');
  const receivedCount = await countReply;
  const elapsedSeconds = (performance.now() - start) / 1000;
  await sender.close();
  await worker.terminate();
  return { messageBytes, perSecond: receivedCount / elapsedSeconds, refused };
}

async function main(): Promise<void> {
  const seconds = Number(option('seconds', '3'));
  const cpu = cpus();
  console.log(
    'transport bench: one peer link on loopback, JSON frames, receiver in a worker thread',
  );
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, node ${process.version}`,
  );
  console.log('message  messages/s     MB/s  queue-full refusals');
  for (const messageBytes of [100, 1024]) {
    const result = await run(messageBytes, seconds);
    console.log(
      [
        `${messageBytes} B`.padStart(7),
        Math.round(result.perSecond).toLocaleString('en-US').padStart(11),
        ((result.perSecond * messageBytes) / 1e6).toFixed(1).padStart(8),
        String(result.refused).padStart(20),
      ].join('  '),
    );
  }
}

if (isMainThread) await main();
else await receiverWorker();
