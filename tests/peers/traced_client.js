// A real OpenTelemetry JS client (not written by us) calling a URL inside a
// CLIENT span, with W3C trace context injected by the JS SDK's propagator.
// Prints one JSON line: the client span's ids and the response.
//   node traced_client.js <url> [baggage-key=value]
'use strict';
const http = require('http');
const api = require('@opentelemetry/api');
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } =
    require('@opentelemetry/sdk-trace-base');
const { W3CTraceContextPropagator, W3CBaggagePropagator, CompositePropagator } =
    require('@opentelemetry/core');

const url = process.argv[2];
const baggageArg = process.argv[3];
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
api.trace.setGlobalTracerProvider(provider);
api.propagation.setGlobalPropagator(new CompositePropagator({
  propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
}));

const tracer = api.trace.getTracer('quartet-interop-test');
const span = tracer.startSpan('GET', { kind: api.SpanKind.CLIENT });
let ctx = api.trace.setSpan(api.context.active(), span);
if (baggageArg) {
  const [k, v] = baggageArg.split('=');
  ctx = api.propagation.setBaggage(ctx, api.propagation.createBaggage({ [k]: { value: v } }));
}
const headers = {};
api.propagation.inject(ctx, headers);

http.get(url, { headers }, (res) => {
  let body = '';
  res.on('data', (c) => { body += c; });
  res.on('end', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    span.end();
    const sc = span.spanContext();
    console.log(JSON.stringify({
      trace_id: sc.traceId, span_id: sc.spanId, sent_headers: headers,
      status: res.statusCode, request_id: res.headers['x-request-id'] || '', body,
    }));
  });
}).on('error', (e) => { console.error(e.message); process.exit(1); });
