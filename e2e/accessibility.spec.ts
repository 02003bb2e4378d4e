import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { customerId, signIn } from "./support";

// Each axe scan takes a few seconds on our 2-core machines.
test.describe.configure({ timeout: 60_000 });

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
}

test("sign-in, desk and customer page have no serious or critical accessibility violations", async ({ page, request }) => {
  await page.goto("/signin");
  expect(await seriousViolations(page)).toEqual([]);

  await signIn(page, "supervisor@demo.test");
  await page.getByLabel("Search customers").fill("smith");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("table")).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  await page.goto(`/customers/${await customerId(request, "ACME-0003")}`);
  await expect(page.getByRole("button", { name: "Start call" })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
});

test("a call with the verification panel in use, the alerts list and the mailbox have none either", async ({ page, request }) => {
  await signIn(page, "supervisor@demo.test");
  await page.goto(`/customers/${await customerId(request, "ACME-0003")}`);
  await page.getByRole("button", { name: "Start call" }).click();
  await expect(page.getByText("On call")).toBeVisible();
  const verify = page.getByRole("region", { name: "Verify the caller" });
  await verify.getByLabel("Caller's answer").fill("01/01/2000");
  await verify.getByRole("button", { name: "Check answer" }).click();
  await expect(verify.getByText(/No match/)).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  for (const path of ["/alerts", "/dev/mailbox"]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    expect(await seriousViolations(page)).toEqual([]);
  }
});

test("the consent administration, webhooks and consent audit screens have none either", async ({ page }) => {
  await signIn(page, "admin@demo.test");
  for (const path of ["/admin/purposes", "/admin/webhooks", "/consent-audit"]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    expect(await seriousViolations(page), path).toEqual([]);
  }
});

test("the privacy-request queue, a request's page and the customer's privacy panel during a call have none either", async ({ page, request }) => {
  await signIn(page, "supervisor@demo.test");
  await page.goto("/privacy-requests");
  await expect(page.getByRole("heading", { level: 1, name: "Privacy requests" })).toBeVisible();
  expect(await seriousViolations(page), "/privacy-requests").toEqual([]);

  // The demo's requests, as they are (nothing is changed): an access request with its package step,
  // and an erasure waiting for the requester's identity.
  for (const [name, heading] of [["Fiona MacLeod", /Access request/], ["Chloé Martin", /Erasure request/]] as const) {
    await page.goto("/privacy-requests");
    await page.getByRole("link", { name }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(heading);
    await expect(page.getByRole("region", { name: "History" })).toBeVisible();
    expect(await seriousViolations(page), `the request of ${name}`).toEqual([]);
  }

  // ACME-0009 Emily Clarke: the intake during a call, with its field errors showing.
  await page.goto(`/customers/${await customerId(request, "ACME-0009")}`);
  await page.getByRole("button", { name: "Start call" }).click();
  const intake = page.getByRole("region", { name: "Privacy requests" }).getByRole("form", { name: "Log a privacy request" });
  await intake.getByRole("button", { name: "Log request" }).click();
  await expect(intake.getByText("Choose what the customer is asking for")).toBeVisible();
  await expect(intake.getByLabel("What the customer is asking for")).toHaveAttribute("aria-invalid", "true");
  expect(await seriousViolations(page), "the customer page's privacy panel").toEqual([]);
});
