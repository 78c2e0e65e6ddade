// Real Loki clients (not written by us) pushing to a Loki push API:
//   node loki_senders.js <base-url> <marker>
// pino with the pino-loki transport (JSON push, trace_id inside the JSON line)
// and winston with winston-loki (protobuf + snappy push). Each sends lines
// containing <marker>; prints what was sent as one JSON line.
'use strict';
const pino = require('pino');
const winston = require('winston');
const LokiTransport = require('winston-loki');

const [base, marker] = process.argv.slice(2);
const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';

async function viaPino() {
  const transport = pino.transport({
    target: 'pino-loki',
    options: { host: base, batching: false, labels: { app: 'pino-app' } },
  });
  const logger = pino({ base: { env: 'test' } }, transport);
  logger.info({ trace_id: traceId, span_id: '00f067aa0ba902b7' }, `pino ${marker} with trace`);
  logger.warn(`pino ${marker} plain`);
  // The transport is a worker thread: give it time to push, then close it.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  transport.end();
}

async function viaWinston() {
  const transport = new LokiTransport({
    host: base, labels: { app: 'winston-app' }, json: false, batching: false,
    replaceTimestamp: false, onConnectionError: (e) => { console.error(e); process.exit(1); },
  });
  const logger = winston.createLogger({ transports: [transport] });
  logger.info(`winston ${marker} one`, { user: 'bob' });
  logger.error(`winston ${marker} two`);
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

(async () => {
  await viaWinston();
  await viaPino();
  console.log(JSON.stringify({ marker, trace_id: traceId, pino: 2, winston: 2 }));
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
