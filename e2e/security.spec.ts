import { expect, test } from "./csp";
import { customerId, signIn } from "./support";

const ALWAYS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
  "x-frame-options": "DENY",
};

test("every answer carries the security headers: a page, an API route, a static file", async ({ request }) => {
  // A client claiming https is not believed without a trusted proxy: no HSTS over plain http.
  const page = await request.get("/signin", { headers: { "x-forwarded-proto": "https" } });
  const html = await page.text();
  const policy = page.headers()["content-security-policy"]!;
  const nonce = /'nonce-([^']+)'/.exec(policy)![1]!;
  expect(policy).toContain("frame-ancestors 'none'");
  expect(policy).not.toContain("unsafe-inline");
  expect(policy).not.toContain("unsafe-eval");
  // Next.js put this request's nonce on its scripts; the next request gets another.
  expect(html).toContain(`nonce="${nonce}"`);
  const again = await request.get("/signin");
  expect(again.headers()["content-security-policy"]).not.toContain(nonce);

  const api = await request.get("/api/health");
  const stylesheet = /href="(\/_next\/static\/[^"]+\.css)"/.exec(html)![1]!;
  const file = await request.get(stylesheet);
  expect(file.status()).toBe(200);
  for (const answer of [page, api, file]) {
    expect(answer.headers()).toMatchObject(ALWAYS);
    expect(answer.headers()["permissions-policy"]).toMatch(
      /camera=\(\).*geolocation=\(\).*microphone=\(\).*payment=\(\)/,
    );
    expect(answer.headers()).not.toHaveProperty("strict-transport-security");
  }
  // Not a page: nothing may run or be framed there.
  for (const answer of [api, file]) {
    expect(answer.headers()["content-security-policy"]).toBe(
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
  }
});

test("the sign-in and customers' link pages run under the Content-Security-Policy without a violation", async ({
  page,
}) => {
  for (const path of [
    "/signin",
    "/consent/confirm/not-a-link",
    "/consent/dispute/not-a-link",
    "/privacy/download/not-a-link",
  ]) {
    await page.goto(path);
    await expect(page.getByRole("heading").first()).toBeVisible();
  }
});

test("the staff pages run under the Content-Security-Policy without a violation", async ({ page, request }) => {
  test.setTimeout(90_000); // a dozen pages, each rendered for its request
  await signIn(page, "admin@demo.test");
  // Client-side navigation, as staff move around, then each area loaded afresh.
  await page.getByRole("link", { name: "Privacy requests" }).click();
  await expect(page).toHaveURL(/\/privacy-requests/);
  await page.getByRole("link", { name: "Consent audit" }).click();
  await expect(page).toHaveURL(/\/consent-audit/);
  for (const path of [
    "/desk",
    "/alerts",
    "/admin/staff",
    "/admin/tenants",
    "/admin/purposes",
    "/admin/api-keys",
    "/admin/webhooks",
    "/no-such-page",
  ]) {
    await page.goto(path);
    await expect(page.locator("main")).toBeVisible();
  }
  await page.goto("/privacy-requests");
  await page.locator('a[href^="/privacy-requests/"]').first().click();
  await expect(page).toHaveURL(/\/privacy-requests\/[0-9a-f-]{36}/);
  await page.goto(`/customers/${await customerId(request, "GLX-0007")}`);
  await page.getByRole("button", { name: "Start call" }).click();
  await expect(page.getByRole("region", { name: "Verify the caller" })).toBeVisible();
});

test.describe("a client that writes its own X-Forwarded-For", () => {
  test.use({ extraHTTPHeaders: { "x-forwarded-for": "1.2.3.4" } });

  test("is audited at its real address, not the one it wrote", async ({ page, request }) => {
    test.setTimeout(60_000);
    await signIn(page, "supervisor@demo.test");
    await page.goto(`/customers/${await customerId(request, "ACME-0012")}`);
    await page.getByRole("button", { name: "Start call" }).click();
    await expect(page.getByRole("region", { name: "Verify the caller" })).toBeVisible();
    await page.reload();
    const audit = page.getByRole("region", { name: "Audit trail" });
    await expect(audit.getByText(/^ip (127\.0\.0\.1|::1)$/).first()).toBeVisible();
    await expect(audit.getByText("1.2.3.4")).toHaveCount(0);
  });
});
