import type { Client, ServiceError } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';

export type Message = Record<string, unknown>;

type UnaryMethod = (
  request: Message,
  metadata: Metadata,
  callback: (error: ServiceError | null, response: Message) => void,
) => void;

/** Calls a unary method of a generated client, with the `token` metadata when given. */
export function unaryCall(
  client: Client,
  method: string,
  request: Message,
  token?: string,
): Promise<Message> {
  const metadata = new Metadata();
  if (token !== undefined) metadata.set('token', token);
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, UnaryMethod>)[method] as UnaryMethod;
    fn.call(client, request, metadata, (error, response) =>
      error === null ? resolve(response) : reject(error),
    );
  });
}

/** The same call, resolving to the response or to the gRPC error. */
export function unaryOutcome(
  client: Client,
  method: string,
  request: Message,
  token?: string,
): Promise<Message | ServiceError> {
  return unaryCall(client, method, request, token).catch((error: ServiceError) => error);
}
