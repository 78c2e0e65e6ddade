// What every browser test here shares: Debian's chromium, headless, driven by
// playwright-core (installed in ui/, the directory the tests run node from);
// one light 1440x900 context that records every request leaving quartetd
// and every page error; checks that collect failures instead of stopping at
// the first; the probe that planted markup stayed inert text; and the one
// JSON line each script ends with ({"ok":...,"failures":[...],...}, exit 0 or 1).
import { createRequire } from 'node:module';
import { join } from 'node:path';

export async function openSession(base) {
  const require = createRequire(join(process.cwd(), 'package.json'));
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
  const foreign = [];
  const pageErrors = [];
  const failures = [];
  context.on('request', (req) => {
    if (!req.url().startsWith(base + '/') && !req.url().startsWith('data:')) foreign.push(req.url());
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // A 4xx answer is logged by the browser as a failed resource; the tests
  // provoke 400s on purpose.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) pageErrors.push(m.text());
  });

  const check = (cond, what) => {
    if (!cond) failures.push(what);
    return cond;
  };
  return {
    browser,
    context,
    page,
    failures,
    pageErrors,
    check,
    url: (path, params = {}) => {
      const q = new URLSearchParams(params).toString();
      return `${base}${path}${q ? `?${q}` : ''}`;
    },
    // The planted markup must be inert everywhere: no flag set, no element made.
    async assertInert(where) {
      const state = await page.evaluate(() => ({
        pwned: typeof window.__pwned,
        imgs: document.querySelectorAll('#app img').length,
        scripts: document.querySelectorAll('#app script').length,
      }));
      check(state.pwned === 'undefined', `${where}: window.__pwned is ${state.pwned}`);
      check(state.imgs === 0 && state.scripts === 0, `${where}: markup became elements (${JSON.stringify(state)})`);
    },
    // Prints the report line and exits: `extra` adds the script's own fields.
    async finish(extra) {
      check(foreign.length === 0, `requests outside quartetd: ${foreign.join(', ')}`);
      check(pageErrors.length === 0, `page errors: ${pageErrors.join(' | ')}`);
      await browser.close();
      console.log(JSON.stringify({ ok: failures.length === 0, failures, ...extra }));
      process.exit(failures.length ? 1 : 0);
    },
  };
}
