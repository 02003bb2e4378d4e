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
