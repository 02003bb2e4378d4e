import { expect, test as base } from "@playwright/test";

/**
 * Playwright's `test` whose page fails the test if the browser refused anything under the
 * Content-Security-Policy: Chromium reports each refusal on the console, and the page's own
 * `securitypolicyviolation` events are logged there too (the init script runs outside the page's CSP).
 */
export const test = base.extend({
  page: async ({ page }, run) => {
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy|CSP violation/i.test(message.text()))
        violations.push(`${page.url()}: ${message.text()}`);
    });
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (event) => {
        console.error(`CSP violation: ${event.violatedDirective} refused ${event.blockedURI || "inline"}`);
      });
    });
    await run(page);
    expect(violations, "Content-Security-Policy violations").toEqual([]);
  },
});

export { expect };
