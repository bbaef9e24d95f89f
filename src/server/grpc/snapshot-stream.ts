import { createHash } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerWritableStream } from '@grpc/grpc-js';
import { writeImage } from '../snapshot-image.js';
import type { EtcdContext } from './context.js';
import { failureOf, headerOf, toServiceError } from './context.js';
import type { ProtoObject } from './convert.js';

/** Blob bytes per message (etcd sends 32 KiB). */
const BLOB_BYTES = 64 * 1024;

let streamsStarted = 0;

/**
 * Maintenance.Snapshot as etcd streams it: the image in blobs, each with `remaining_bytes` of the
 * image still to come, then one last message whose blob is the SHA-256 of every byte before it
 * (remaining_bytes 0). The image is a point-in-time view (`MvccStore.openSnapshot`) taken when the
 * call arrives, written to an unlinked temporary file in the data directory a chunk at a time,
 * so neither the event loop nor the heap holds the whole state at once.
 */
export function snapshotStream(
  context: EtcdContext,
): (call: ServerWritableStream<ProtoObject, ProtoObject>) => void {
  return (call) => {
    streamSnapshot(context, call).catch((error: unknown) => {
      if (call.cancelled) return;
      call.emit('error', toServiceError(failureOf(context, error, 'Snapshot')));
    });
  };
}

async function streamSnapshot(
  context: EtcdContext,
  call: ServerWritableStream<ProtoObject, ProtoObject>,
): Promise<void> {
  const { app, runtime } = context;
  // Taken in one synchronous step: the view, the members, auth and the applied index agree.
  const source = {
    reader: app.store.openSnapshot(),
    members: app.membership().members,
    auth: app.auth.snapshot(),
    appliedIndex: runtime.machine.appliedIndex,
  };
  const revision = source.reader.revision;
  const path = join(
    context.config.dataDir,
    `snapshot-stream-${process.pid}-${++streamsStarted}.tmp`,
  );
  const file = await open(path, 'w+').catch((error: unknown) => {
    source.reader.close();
    throw error;
  });
  // Unlinked at once: the open descriptor keeps the data, and a crash leaves nothing behind.
  await unlink(path);
  try {
    const size = await writeImage(file, source);
    context.logger.info('streaming a snapshot', { revision, bytes: size });
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(BLOB_BYTES);
    let sent = 0;
    while (sent < size) {
      if (call.cancelled) return;
      const { bytesRead } = await file.read(buffer, 0, Math.min(BLOB_BYTES, size - sent), sent);
      if (bytesRead === 0) throw new Error(`snapshot image ended at ${sent} of ${size} bytes`);
      const blob = Buffer.from(buffer.subarray(0, bytesRead));
      hash.update(blob);
      sent += bytesRead;
      await send(call, {
        header: headerOf(context, revision),
        remaining_bytes: size - sent,
        blob,
      });
    }
    await send(call, {
      header: headerOf(context, revision),
      remaining_bytes: 0,
      blob: hash.digest(),
    });
    call.end();
  } finally {
    await file.close();
  }
}

/** Writes one message, waiting for the client to drain when gRPC's buffer is full. */
function send(
  call: ServerWritableStream<ProtoObject, ProtoObject>,
  message: ProtoObject,
): Promise<void> {
  if (call.write(message)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('cancelled', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
  });
}
