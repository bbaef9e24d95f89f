export * from './backoff.js';
export * from './frame-codec.js';
export * from './handshake.js';
export * from './inbound-connection.js';
export * from './peer-link.js';
export * from './peer-transport.js';
export * from './transport-limits.js';
export * from './transport-logger.js';
