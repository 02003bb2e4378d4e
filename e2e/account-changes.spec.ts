import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { customerId, messageTo, openMailbox, signIn } from "./support";

test.setTimeout(90_000);

test("an agent verifies strongly, pauses the recording, adds a card, makes it the default, changes the plan and the marketing topics; the customer is told of each", async ({ page, browser, request }) => {
  const email = "helene.dubois@example.fr"; // ACME-0007, born 24/12/1981, on Fixed Saver
  await signIn(page, "agent@demo.test");
  await page.goto(`/customers/${await customerId(request, "ACME-0007")}`);
  await page.getByLabel("Recording reference (optional)").fill("REC-e2e-payments-1");
  await page.getByRole("button", { name: "Start call" }).click();

  const payments = page.getByRole("region", { name: "Payment methods" });
  await expect(payments).toContainText(/strong verification/i);

  // Strong: a code to the email on file, then a knowledge check.
  const verify = page.getByRole("region", { name: "Verify the caller" });
  await verify.getByRole("button", { name: /Send code by email/ }).click();
  const mailbox = await openMailbox(browser);
  const code = /(\d{6}) is your/.exec(await messageTo(mailbox, email, /verification code/))![1]!;
  await page.bringToFront();
  await verify.getByLabel("Code the caller reads out").fill(code);
  await verify.getByRole("button", { name: "Check code" }).click();
  await verify.getByLabel("Check", { exact: true }).selectOption({ label: "Date of birth" });
  await verify.getByLabel("Caller's answer").fill("24/12/1981");
  await verify.getByRole("button", { name: "Check answer" }).click();
  await expect(verify.getByRole("status").filter({ hasText: "Match" }).last()).toContainText("verified (strong)");

  // Card details are taken only while the recording is paused (PCI DSS).
  await payments.getByRole("button", { name: "Pause recording" }).click();
  await expect(payments).toContainText("Recording paused since");
  const addCard = payments.getByRole("form", { name: "Add a card" });
  await addCard.getByLabel("Card number").fill("4111 1111 1111 1112");
  await addCard.getByLabel("Expiry (MM/YY)").fill("12/30");
  await addCard.getByLabel("Security code").fill("737");
  await addCard.getByRole("button", { name: "Save card" }).click();
  await expect(addCard.getByText(/card number is not valid/i)).toBeVisible();
  await expect(addCard.getByLabel("Card number")).toHaveValue(""); // never shown again after submit
  await expect(addCard.getByLabel("Security code")).toHaveValue("");

  await addCard.getByLabel("Card number").fill("4111 1111 1111 1111");
  await addCard.getByLabel("Expiry (MM/YY)").fill("12/30");
  await addCard.getByLabel("Security code").fill("737");
  await addCard.getByRole("button", { name: "Save card" }).click();
  const onFile = payments.getByRole("list", { name: "Payment methods on file" });
  await expect(onFile).toContainText("1111");
  await expect(payments).toContainText("Recording on"); // resumed once the card was saved
  await expect(page.locator("body")).not.toContainText("4111 1111 1111 1111");

  // A second card, then the first made the default.
  await payments.getByRole("button", { name: "Pause recording" }).click();
  await addCard.getByLabel("Card number").fill("5555 5555 5555 4444");
  await addCard.getByLabel("Expiry (MM/YY)").fill("11/29");
  await addCard.getByLabel("Security code").fill("737");
  await addCard.getByRole("button", { name: "Save card" }).click();
  await expect(onFile).toContainText("4444");

  const makeDefault = payments.getByRole("form", { name: /Make .* ending 1111 the default/ });
  if (await makeDefault.count()) await makeDefault.getByRole("button", { name: "Set default" }).click();
  await expect(onFile.getByRole("listitem").filter({ hasText: "1111" })).toContainText("Default");

  // An upgrade applies now, with the difference to pay for the rest of the period.
  const subscription = page.getByRole("region", { name: "Subscription" });
  const changePlan = subscription.getByRole("form", { name: "Change plan" });
  await changePlan.getByLabel("New plan").selectOption({ label: (await changePlan.getByRole("option", { name: /Green Plus/ }).textContent())! });
  await expect(changePlan).toContainText("Upgrade, with effect from now");
  page.once("dialog", (dialog) => dialog.accept());
  await changePlan.getByRole("button", { name: "Change plan" }).click();
  await expect(subscription).toContainText("Green Plus");

  const preferences = page.getByRole("form", { name: "Marketing preferences" });
  await preferences.getByRole("checkbox", { name: "Energy-saving tips" }).check();
  await preferences.getByLabel("How often").selectOption({ index: 2 });
  await preferences.getByRole("button", { name: "Save preferences" }).click();
  await expect(preferences.getByRole("status")).toBeVisible();
  await page.screenshot({ path: "test-results/account-changes.png", fullPage: true });

  await mailbox.bringToFront();
  expect(await messageTo(mailbox, email, /card ending 1111/i)).not.toContain("4111");
  await messageTo(mailbox, email, /Green Plus/);
  await messageTo(mailbox, email, /Energy-saving tips|preferences/i);

  // PCI DSS: neither card number nor the security code reached the server's output (F1–F4, I4).
  const serverOutput = readFileSync("reports/e2e-server.log", "utf8");
  expect(serverOutput).toContain("Attest is serving on"); // the log is the server's, and it is being written
  for (const digits of ["4111111111111111", "4111111111111112", "5555555555554444"]) {
    expect(serverOutput).not.toMatch(new RegExp(digits.split("").join("[\\s-]*")));
  }
  expect(serverOutput).not.toMatch(/(cvv|cvc|security code|securityCode)\W{0,20}737\b/i);
});
