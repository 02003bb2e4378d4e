import { expect, test } from "@playwright/test";
import { customerId, openMailbox, signIn } from "./support";

const ACME_KEY = { authorization: "Bearer demo-acme-api-key" };

test.setTimeout(60_000);

test("an agent verifies the caller, reads the script, records a verbal SMS marketing grant and then a withdrawal; the API follows and the receipt arrives", async ({ page, browser, request }) => {
  const check = async () => (await (await request.get("/api/v1/consents/check?customer=ACME-0008&purpose=marketing&channel=sms", { headers: ACME_KEY })).json()) as { allowed: boolean; reason: string };
  expect(await check()).toMatchObject({ allowed: false, reason: "no_record" });

  const id = await customerId(request, "ACME-0008"); // Raj Patel, born 1972-04-04
  await signIn(page, "agent@demo.test");
  await page.goto(`/customers/${id}`);
  const consent = page.getByRole("region", { name: "Consent" });
  await expect(consent.getByRole("row", { name: /Marketing/ })).toContainText("Not asked");

  await page.getByLabel("Recording reference (optional)").fill("REC-e2e-consent-1");
  await page.getByRole("button", { name: "Start call" }).click();
  const verify = page.getByRole("region", { name: "Verify the caller" });
  await verify.getByLabel("Check", { exact: true }).selectOption({ label: "Date of birth" });
  await verify.getByLabel("Caller's answer").fill("04/04/1972");
  await verify.getByRole("button", { name: "Check answer" }).click();
  await expect(verify.getByRole("status").filter({ hasText: "Match" })).toContainText("verified (basic)");

  await consent.getByRole("button", { name: "Ask: Marketing by SMS" }).click();
  const capture = consent.getByRole("form", { name: "Record consent: Marketing by SMS" });
  await expect(capture.getByRole("heading", { name: "Ask the customer: Marketing by SMS" })).toBeFocused();
  await expect(capture).toContainText("May Acme Energy use your details for Marketing?");
  // Nothing is pre-selected (A1): recording without an answer is refused.
  await capture.getByRole("button", { name: "Record answer" }).click();
  await expect(capture.getByText("Choose the customer's answer")).toBeVisible();
  expect(await check()).toMatchObject({ reason: "no_record" });

  await capture.getByLabel("Yes, agrees").check();
  await page.screenshot({ path: "test-results/consent-capture.png", fullPage: true });
  await capture.getByRole("button", { name: "Record answer" }).click();
  await expect(capture.getByRole("status")).toContainText("Recorded: the customer agreed to marketing by sms");
  await expect(consent.getByRole("row", { name: /Marketing/ })).toContainText("Granted");
  expect(await check()).toMatchObject({ allowed: true, reason: "granted" });

  // Withdrawing takes one click from the grid (A10).
  await consent.getByRole("button", { name: "Withdraw Marketing by SMS" }).click();
  await expect(consent.getByRole("row", { name: /Marketing/ })).toContainText("Withdrawn");
  expect(await check()).toMatchObject({ allowed: false, reason: "withdrawn" });
  const email = await (await request.get("/api/v1/consents/check?customer=ACME-0008&purpose=marketing&channel=email", { headers: ACME_KEY })).json();
  expect(email).toMatchObject({ allowed: false, reason: "no_record" });

  await page.getByLabel("Disposition").selectOption("resolved");
  await page.getByLabel("Summary").fill("Customer agreed to SMS offers, then changed their mind.");
  await page.getByRole("button", { name: "End call" }).click();
  await expect(page.getByText(/Call ended after/)).toBeVisible();

  const mailbox = await openMailbox(browser);
  // Other messages to Raj say "if this wasn't you" too (the demo's card notice): wait for the receipt itself.
  const receipt = mailbox.getByRole("article").filter({ hasText: "raj.patel@example.com" }).filter({ hasText: /wasn.t you/i }).filter({ hasText: /Marketing by SMS/i }).first();
  await expect(async () => {
    await mailbox.reload();
    await expect(receipt).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(receipt).toContainText(/Marketing by SMS/i);
  await expect(receipt).toContainText(/\/consent\/dispute\//);
});
