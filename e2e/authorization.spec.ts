import { expect, test } from "@playwright/test";
import { customerId, signIn } from "./support";

test("a signed-out visitor is sent to sign-in", async ({ page }) => {
  for (const path of ["/desk", "/admin/staff", "/customers/00000000-0000-0000-0000-000000000000"]) {
    await page.goto(path);
    await expect(page).toHaveURL(/\/signin/);
    await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  }
});

test("a wrong password is refused without saying whether the account exists", async ({ page }) => {
  await page.goto("/signin");
  await page.getByLabel("Email").fill("nobody@demo.test");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  const unknown = await page.getByRole("alert").filter({ hasText: "did not work" }).textContent();

  await page.getByLabel("Email").fill("supervisor@demo.test");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "did not work" })).toHaveText(unknown!);
  await expect(page.getByLabel("Password")).toHaveValue("");
});

test("an acme-only agent cannot see a globex customer, by search or by URL", async ({ page, request }) => {
  const globexId = await customerId(request, "GLX-0001");
  await signIn(page, "agent.acme@demo.test");

  await page.getByLabel("Search customers").fill("GLX-0001");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: /No customers match/ })).toBeVisible();

  const response = await page.goto(`/customers/${globexId}`);
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
  await expect(page.getByText("John Miller")).toHaveCount(0);
});

test("an agent cannot open the administration screens", async ({ page }) => {
  await signIn(page, "agent@demo.test");
  await expect(page.getByRole("link", { name: "Staff" })).toHaveCount(0);
  for (const path of ["/admin/api-keys", "/admin/purposes", "/admin/webhooks", "/consent-audit"]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(404);
  }
  await expect(page.getByRole("link", { name: "Consent audit" })).toHaveCount(0);
});

test("a supervisor verifies the consent ledger but cannot administer purposes or webhooks", async ({ page }) => {
  await signIn(page, "supervisor@demo.test");
  await page.getByRole("link", { name: "Consent audit" }).click();
  await page.getByRole("button", { name: /Verify ledger/ }).first().click();
  await expect(page.getByRole("status").filter({ hasText: /intact|verified|ok/i }).first()).toBeVisible();
  for (const path of ["/admin/purposes", "/admin/webhooks"]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(404);
  }
});

test("an agent sees no audit trail; a supervisor does", async ({ page, request }) => {
  const id = await customerId(request, "ACME-0002");
  await signIn(page, "agent@demo.test");
  await page.goto(`/customers/${id}`);
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(page.getByRole("region", { name: "Audit trail" })).toHaveCount(0);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
  await signIn(page, "supervisor@demo.test");
  await page.goto(`/customers/${id}`);
  await expect(page.getByRole("region", { name: "Audit trail" })).toContainText("customer.created");
});

test("an agent has the privacy-request intake on a call but cannot open the supervisors' queue or a request", async ({ page, browser, request }) => {
  // A request's address, as a supervisor finds it in the queue.
  const supervisorContext = await browser.newContext();
  const supervisor = await supervisorContext.newPage();
  await signIn(supervisor, "supervisor@demo.test");
  await supervisor.goto("/privacy-requests");
  const requestPath = await supervisor.getByRole("link", { name: "Fiona MacLeod" }).getAttribute("href");
  expect(requestPath).toMatch(/^\/privacy-requests\/[0-9a-f-]{36}$/);
  await supervisorContext.close();

  await signIn(page, "agent@demo.test");
  await expect(page.locator('a[href^="/privacy-requests"]')).toHaveCount(0);
  for (const path of ["/privacy-requests", "/privacy-requests?status=all", requestPath!]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(404);
    await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
  }
  await expect(page.getByText("Fiona MacLeod")).toHaveCount(0);

  // On a call the intake is there, and nothing on the page leads to the queue.
  await page.goto(`/customers/${await customerId(request, "GLX-0004")}`);
  await page.getByRole("button", { name: "Start call" }).click();
  const panel = page.getByRole("region", { name: "Privacy requests" });
  await expect(panel.getByRole("form", { name: "Log a privacy request" })).toBeVisible();
  await expect(panel.getByRole("button", { name: "Log request" })).toBeVisible();
  await expect(page.locator('a[href^="/privacy-requests"]')).toHaveCount(0);
});
