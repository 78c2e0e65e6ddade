// Pushes CPU/wall and heap profiles with the real @pyroscope/nodejs client
// to a Pyroscope-compatible /ingest (quartetd in tests/quartetd_profiles_test.cc).
// Every upload's body, URL and response status are saved in <dump_dir> so the
// test can check that quartetd stored exactly what was sent.
//
//   node pyroscope_sender.js <server_url> <app_name> <seconds> <dump_dir>
'use strict';
const fs = require('fs');
const Pyroscope = require('@pyroscope/nodejs');

const [serverAddress, appName, secondsArg, dumpDir] = process.argv.slice(2);
const seconds = Number(secondsArg || '5');

let uploads = 0;
const realFetch = global.fetch;
global.fetch = async (url, options) => {
  const response = await realFetch(url, options);
  if (String(url).includes('/ingest')) {
    const i = uploads++;
    fs.writeFileSync(`${dumpDir}/upload_${i}.body`, Buffer.from(options.body));
    fs.writeFileSync(`${dumpDir}/upload_${i}.url`, String(url));
    fs.writeFileSync(`${dumpDir}/upload_${i}.status`, String(response.status));
  }
  return response;
};

// Work worth profiling: a hot numeric loop and allocations that stay alive.
function hotLoop(n) {
  let x = 0;
  for (let i = 0; i < n; i++) x += Math.sqrt(i) * Math.sin(i);
  return x;
}
const kept = [];
function allocate() {
  const a = [];
  for (let i = 0; i < 2000; i++) a.push({ i, s: 'v' + i });
  kept.push(a);
  if (kept.length > 200) kept.shift();
}

async function main() {
  Pyroscope.init({
    serverAddress,
    appName,
    flushIntervalMs: 1500,
    tags: { env: 'test', service_version: '0.1.0' },
    wall: { collectCpuTime: true },
  });
  Pyroscope.start();
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    Pyroscope.wrapWithLabels({ span_name: 'hot' }, () => hotLoop(200000));
    allocate();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Pyroscope.stop();
  console.log(JSON.stringify({ uploads }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
