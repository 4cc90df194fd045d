export * from './common.js';
export * from './call.js';
export * from './http.js';
export * from './socket.js';
export * from './push.js';
export * from './agent.js';
export * from './queue.js';
