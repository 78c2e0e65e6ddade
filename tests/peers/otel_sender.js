// A real OpenTelemetry JS SDK (not written by us) sending one trace and its
// log lines to an OTLP endpoint over the chosen exporter, the way a Node
// service instrumented with the 0.223 SDK does:
//   node otel_sender.js <base-url> <http/protobuf|http/json|grpc> <service>
// The trace: SERVER span "GET /checkout" (http.route=/checkout) with a CLIENT
// child "SELECT orders" that has an event and ERROR status; two log records
// are emitted inside the child span. Prints the ids as one JSON line.
'use strict';
const api = require('@opentelemetry/api');
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { LoggerProvider, BatchLogRecordProcessor } = require('@opentelemetry/sdk-logs');
const { resourceFromAttributes } = require('@opentelemetry/resources');

const [base, protocol, service] = process.argv.slice(2);
const traceExporters = {
  'http/protobuf': () => new (require('@opentelemetry/exporter-trace-otlp-proto').OTLPTraceExporter)(
      { url: base + '/v1/traces' }),
  'http/json': () => new (require('@opentelemetry/exporter-trace-otlp-http').OTLPTraceExporter)(
      { url: base + '/v1/traces' }),
  'grpc': () => new (require('@opentelemetry/exporter-trace-otlp-grpc').OTLPTraceExporter)(
      { url: base }),
};
const logExporters = {
  'http/protobuf': () => new (require('@opentelemetry/exporter-logs-otlp-proto').OTLPLogExporter)(
      { url: base + '/v1/logs' }),
  'http/json': () => new (require('@opentelemetry/exporter-logs-otlp-http').OTLPLogExporter)(
      { url: base + '/v1/logs' }),
  'grpc': () => new (require('@opentelemetry/exporter-logs-otlp-grpc').OTLPLogExporter)(
      { url: base }),
};
if (!traceExporters[protocol]) {
  console.error('unknown protocol ' + protocol);
  process.exit(2);
}
const resource = resourceFromAttributes({
  'service.name': service, 'service.version': '2.0.1', 'deployment.environment': 'test',
});
const tracerProvider = new BasicTracerProvider({
  resource, spanProcessors: [new BatchSpanProcessor(traceExporters[protocol]())],
});
const loggerProvider = logExporters[protocol] ? new LoggerProvider({
  resource, processors: [new BatchLogRecordProcessor({ exporter: logExporters[protocol]() })],
}) : null;

const tracer = tracerProvider.getTracer('otel-sender', '1.0.0');
const logger = loggerProvider ? loggerProvider.getLogger('otel-sender') : null;
const root = tracer.startSpan('GET /checkout', {
  kind: api.SpanKind.SERVER,
  attributes: { 'http.route': '/checkout', 'http.request.method': 'GET', 'user.id': 42 },
});
const rootCtx = api.trace.setSpan(api.context.active(), root);
const child = tracer.startSpan('SELECT orders', {
  kind: api.SpanKind.CLIENT, attributes: { 'db.system': 'sqlite', 'db.rows': 60000 },
}, rootCtx);
child.addEvent('scan started', { 'db.table': 'orders' });
const childCtx = api.trace.setSpan(rootCtx, child);
if (logger) {
  logger.emit({ severityNumber: 9, severityText: 'INFO', body: 'query started',
                attributes: { rows: 60000 }, context: childCtx });
  logger.emit({ severityNumber: 17, severityText: 'ERROR', body: 'query too slow',
                attributes: { duration_ms: 812.5 }, context: childCtx });
}
setTimeout(async () => {
  child.setStatus({ code: api.SpanStatusCode.ERROR, message: 'full table scan' });
  child.end();
  root.end();
  await tracerProvider.forceFlush();
  if (loggerProvider) await loggerProvider.forceFlush();
  await tracerProvider.shutdown();
  if (loggerProvider) await loggerProvider.shutdown();
  console.log(JSON.stringify({
    trace_id: root.spanContext().traceId, root_span_id: root.spanContext().spanId,
    child_span_id: child.spanContext().spanId, logs: logger ? 2 : 0,
  }));
}, 120);
