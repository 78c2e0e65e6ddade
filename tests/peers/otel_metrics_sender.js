// The real OpenTelemetry JS metrics SDK (sdk-metrics 2.12 with the 0.223
// exporters, not written by us) exporting a counter, an up-down counter, a
// histogram and an observable gauge to an OTLP endpoint:
//   node otel_metrics_sender.js <base-url> <http/protobuf|http/json|grpc> <service> <cumulative|delta>
// Two exports (forceFlush) with more measurements between them, so that
// delta temporality must be summed by the receiver. Totals after both:
//   shop.orders (unit {order}, route=/checkout): 5 + 7 = 12
//   queue.depth (up-down, unit {item}): +5 -2 +4 = 7
//   http.server.request.duration (unit s, route=/checkout): 0.2, 0.4, 3 then 0.05
//     -> count 4, sum 3.65
//   process.memory.usage (observable gauge, unit By): 1234 then 2345
// Prints "exported" when both exports are acknowledged.
'use strict';
const { MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { AggregationTemporalityPreference } = require('@opentelemetry/exporter-metrics-otlp-http');

const [base, protocol, service, temporality] = process.argv.slice(2);
const options = (path) => ({
  url: protocol === 'grpc' ? base : base + path,
  temporalityPreference: temporality === 'delta' ? AggregationTemporalityPreference.DELTA
                                                 : AggregationTemporalityPreference.CUMULATIVE,
});
const exporters = {
  'http/protobuf': () => new (require('@opentelemetry/exporter-metrics-otlp-proto').OTLPMetricExporter)(
      options('/v1/metrics')),
  'http/json': () => new (require('@opentelemetry/exporter-metrics-otlp-http').OTLPMetricExporter)(
      options('/v1/metrics')),
  'grpc': () => new (require('@opentelemetry/exporter-metrics-otlp-grpc').OTLPMetricExporter)(
      options('')),
};
if (!exporters[protocol]) {
  console.error('unknown protocol ' + protocol);
  process.exit(2);
}
const exporter = exporters[protocol]();
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3600000 });
const provider = new MeterProvider({
  resource: resourceFromAttributes({
    'service.name': service, 'service.namespace': 'shop', 'service.instance.id': 'node-1',
    'service.version': '2.0.1', 'deployment.environment': 'test',
  }),
  readers: [reader],
});
const meter = provider.getMeter('otel-metrics-sender', '1.0.0');
const orders = meter.createCounter('shop.orders', { unit: '{order}', description: 'orders placed' });
const queue = meter.createUpDownCounter('queue.depth', { unit: '{item}' });
const duration = meter.createHistogram('http.server.request.duration',
                                       { unit: 's', description: 'request latency' });
let memory = 1234;
meter.createObservableGauge('process.memory.usage', { unit: 'By' })
    .addCallback((result) => result.observe(memory));

async function main() {
  const route = { 'http.route': '/checkout' };
  orders.add(5, route);
  queue.add(5);
  queue.add(-2);
  for (const v of [0.2, 0.4, 3]) duration.record(v, route);
  await reader.forceFlush();
  await new Promise((r) => setTimeout(r, 20));  // a later time for the second export
  orders.add(7, route);
  queue.add(4);
  duration.record(0.05, route);
  memory = 2345;
  await reader.forceFlush();
  await provider.shutdown();
  console.log('exported');
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
