// A server-side command for the browser suites that every engine's driver answers alike (called
// from the page with executeServerCommand): `ctfl-cookies`, the cookies of the test page as the
// browser keeps them, with path, domain, SameSite, Secure, HttpOnly and expiry. Page script sees
// only name=value (document.cookie; the Cookie Store API adds the other attributes in Chromium
// only), so they come from the driver.

/** A cookie in the Cookie Store API's shape (expires in ms, sameSite lower case), plus httpOnly. */
function normalize(c) {
  const expires = c.expires ?? c.expiry;
  return {
    name: c.name,
    value: c.value,
    domain: c.domain ?? null,
    path: c.path ?? null,
    sameSite: String(c.sameSite ?? 'none').toLowerCase(),
    secure: !!c.secure,
    httpOnly: !!c.httpOnly,
    expires: typeof expires === 'number' && expires > 0 ? Math.round(expires * 1000) : null,
  };
}

/** The cookies the page itself sees: those whose path covers the page's path (RFC 6265 5.1.4). */
const onPath = (pagePath, cookiePath) =>
  pagePath === cookiePath || (pagePath.startsWith(cookiePath) && (cookiePath.endsWith('/') || pagePath[cookiePath.length] === '/'));

export function driverCommandsPlugin() {
  return {
    name: 'ctfl-driver-commands',
    async executeCommand({ command, session }) {
      if (command !== 'ctfl-cookies') return undefined;
      const launcher = session.browser;
      if (launcher.type === 'puppeteer') {
        const page = launcher.getPage(session.id);
        // The context's cookies for the page's URL (Chromium over CDP, Firefox over BiDi).
        const all = await page.browserContext().cookies();
        const url = new URL(page.url());
        return all.filter((c) => (c.domain.replace(/^\./, '') === url.hostname || url.hostname.endsWith(c.domain)) && onPath(url.pathname, c.path)).map(normalize);
      }
      if (launcher.type === 'webdriver') {
        // One session, files one after another (concurrency 1): the session's window is this page.
        const driver = launcher.driver;
        const url = new URL(await driver.getUrl());
        return (await driver.getAllCookies()).filter((c) => onPath(url.pathname, c.path ?? '/')).map(normalize);
      }
      throw new Error(`${command}: not supported for launcher type ${launcher.type}`);
    },
  };
}
