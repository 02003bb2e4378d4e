import { expect, test } from "@playwright/test";
import { signIn } from "./support";

test("an agent signs in, finds the caller by phone, starts and ends a call", async ({ page }) => {
  await signIn(page, "agent@demo.test");

  await page.getByLabel("Search customers").fill("07911 123456");
  await page.keyboard.press("Enter");
  const results = page.getByRole("table");
  await expect(results.getByRole("link", { name: "Ann Smith" })).toBeVisible();
  // Contact details are masked in results.
  await expect(results).toContainText("•••• •••456");
  await expect(results).not.toContainText("ann.smith@example.com");

  await results.getByRole("link", { name: "Ann Smith" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Ann Smith" })).toBeVisible();
  await expect(page.getByText("ACME-0001")).toBeVisible();

  await page.getByLabel("Recording reference (optional)").fill("REC-e2e-1");
  await page.getByRole("button", { name: "Start call" }).click();
  await expect(page.getByText("On call")).toBeVisible();
  await expect(page.getByLabel("Call duration")).toHaveText(/\d+:\d\d/);

  // Ending without a disposition or summary is refused, per field, and keeps what was typed.
  await page.getByRole("button", { name: "End call" }).click();
  await expect(page.getByText("Choose how the call ended").last()).toBeVisible();
  await expect(page.getByText("Write a short summary of the call")).toBeVisible();

  await page.getByLabel("Disposition").selectOption("resolved");
  await page.getByLabel("Summary").fill("Customer asked about their bill; explained the tariff.");
  await page.getByRole("button", { name: "End call" }).click();
  await expect(page.getByText(/Call ended after \d+:\d\d \(Resolved\)/)).toBeVisible();

  const history = page.getByRole("region", { name: "Interaction history" });
  await expect(history).toContainText("Customer asked about their bill");
  await expect(history).toContainText("Resolved");
  await expect(page.getByRole("button", { name: "Start call" })).toBeVisible();
});

test("a telephony screen-pop opens the only matching customer with the caller's number", async ({ page }) => {
  await signIn(page, "agent@demo.test");
  await page.goto("/desk?phone=%2B44%207911%20123456");
  await expect(page.getByRole("heading", { level: 1, name: "Ann Smith" })).toBeVisible();
  await expect(page.getByLabel("Caller number (optional)")).toHaveValue("+44 7911 123456");
});

test("a search finds customers by partial name without accents, across the agent's tenants", async ({ page }) => {
  await signIn(page, "agent@demo.test");
  await page.getByLabel("Search customers").fill("ann smi");
  await page.keyboard.press("Enter");
  const rows = page.getByRole("table").getByRole("row");
  await expect(rows).toHaveCount(3); // header + Acme's and Globex's Ann Smith
  await expect(page.getByRole("table")).toContainText("Acme Energy");
  await expect(page.getByRole("table")).toContainText("Globex Telecom");

  await page.getByLabel("Search customers").fill("bronte");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("table").getByRole("link", { name: "Zoë Brontë" })).toBeVisible();
});

test("results follow the typing, without pressing Enter", async ({ page }) => {
  await signIn(page, "agent@demo.test");
  await page.getByLabel("Search customers").pressSequentially("okafo", { delay: 30 });
  await expect(page.getByRole("table").getByRole("link", { name: "Peter Okafor" })).toBeVisible();
  await expect(page).toHaveURL(/\/desk$/);
  await page.getByLabel("Search customers").fill("GLX-0002");
  await expect(page.getByRole("table").getByRole("link", { name: "María José García" })).toBeVisible();
});
