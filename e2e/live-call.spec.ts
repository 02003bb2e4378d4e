import { expect, test, type Page } from "@playwright/test";
import { customerId, messageTo, openMailbox, signIn } from "./support";

/** The newest message to `recipient` in the dev mailbox, read as the customer's phone would show it. */
async function latestMessageTo(mailbox: Page, recipient: string, containing: RegExp): Promise<string> {
  const message = mailbox.getByRole("article").filter({ has: mailbox.getByRole("heading", { name: new RegExp(recipient.replace("+", "\\+")) }) }).filter({ hasText: containing }).first();
  await expect(async () => {
    await mailbox.reload();
    await expect(message).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  return (await message.textContent()) ?? "";
}

test("an agent verifies the caller with a code and a knowledge check, reveals and changes the phone, and the old number is told", async ({ page, context, browser, request }) => {
  test.setTimeout(60_000); // a code and two notices through the mailbox, and some twenty steps
  const id = await customerId(request, "ACME-0004"); // Mohammed Rahman, 07812 345678, born 1969-01-21
  await signIn(page, "agent@demo.test");
  await page.goto(`/customers/${id}`);
  await page.getByRole("button", { name: "Start call" }).click();
  const verify = page.getByRole("region", { name: "Verify the caller" });
  await expect(verify).toContainText("Not verified");
  // Masked until verified, and nothing to reveal yet.
  const details = page.getByRole("region", { name: "Details", exact: true });
  await expect(details).toContainText("•••• •••678");
  await expect(details.getByRole("button", { name: /Reveal/ })).toHaveCount(0);
  await expect(page.getByRole("region", { name: "Update details" })).toContainText("Verify the caller first");

  await verify.getByRole("button", { name: "Send code by SMS to •••• •••678" }).click();
  await expect(verify.getByRole("status")).toContainText("Code sent to •••• •••678");
  const mailbox = await openMailbox(browser);
  const sms = await latestMessageTo(mailbox, "+447812345678", /verification code/);
  const code = /(\d{6}) is your/.exec(sms)![1]!;
  // The agent on the call cannot read it there: a sealed message opens for admins only.
  const agentsMailbox = await context.newPage();
  await agentsMailbox.goto("/dev/mailbox");
  await expect(agentsMailbox.getByText("Sealed: only an admin can open this message").first()).toBeVisible();
  await expect(agentsMailbox.getByRole("main")).not.toContainText(code);
  await agentsMailbox.close();

  await page.bringToFront();
  await verify.getByLabel("Code the caller reads out").fill(code);
  await verify.getByRole("button", { name: "Check code" }).click();
  await expect(verify.getByRole("status").filter({ hasText: "Match" })).toContainText("verified (basic)");

  // Basic is enough to reveal (audited), not to change a phone number.
  await details.getByRole("button", { name: "Reveal phone" }).click();
  await expect(details).toContainText("+447812345678");
  const update = page.getByRole("form", { name: "Update details" });
  await update.getByLabel("New phone").fill("07912 345611");
  await update.getByRole("button", { name: "Save changes" }).click();
  await expect(update.getByRole("alert")).toContainText("Strong verification of the caller is needed to change phone");

  await verify.getByLabel("Check", { exact: true }).selectOption({ label: "Date of birth" });
  await verify.getByLabel("Caller's answer").fill("21/01/1969");
  await verify.getByRole("button", { name: "Check answer" }).click();
  await expect(verify.getByRole("status").filter({ hasText: "Match" }).last()).toContainText("verified (strong)");

  // Bad input is refused per field and changes nothing.
  await update.getByLabel("New email").fill("not-an-email");
  await update.getByLabel("New phone").fill("12");
  await update.getByRole("button", { name: "Save changes" }).click();
  await expect(update.getByText("Must be a valid email address")).toBeVisible();
  await expect(update.getByText(/'12' is not a valid phone number/)).toBeVisible();
  await expect(details).toContainText("+447812345678");

  await update.getByLabel("New email").fill("");
  await update.getByLabel("New phone").fill("07912 345611");
  await update.getByRole("button", { name: "Save changes" }).click();
  await expect(update.getByRole("status")).toContainText("Saved");
  // The new number is masked again: the old reveal does not carry over to it.
  await expect(details).toContainText("•••• •••611");
  await expect(details).not.toContainText("+447812345678");

  await mailbox.bringToFront();
  const notice = await latestMessageTo(mailbox, "+447812345678", /was changed/);
  expect(notice).toContain("phone number on your account was changed to •••• •••611");
  await latestMessageTo(mailbox, "+447912345611", /was added to your account/);

  await page.bringToFront();
  await page.getByLabel("Disposition").selectOption("resolved");
  await page.getByLabel("Summary").fill("Verified by SMS code and DOB; phone number updated.");
  await page.getByRole("button", { name: "End call" }).click();
  await expect(page.getByRole("region", { name: "Call", exact: true }).getByRole("status").filter({ hasText: "Call ended" })).toContainText("Updated your phone number");
});

test("three wrong answers lock verification for the customer, in another agent's call too, until the supervisor closes the alert", async ({ page, browser, request }) => {
  // Three people (agent, colleague, supervisor) and a dozen server actions.
  test.setTimeout(90_000);
  const id = await customerId(request, "ACME-0005"); // Gwen Llewellyn
  await signIn(page, "agent@demo.test");
  await page.goto(`/customers/${id}`);
  await page.getByRole("button", { name: "Start call" }).click();
  const verify = page.getByRole("region", { name: "Verify the caller" });
  const attempts = [
    ["01/01/1990", "No match. 2 attempts left."],
    ["02/02/1991", "No match. 1 attempt left."],
  ] as const;
  for (const [wrong, answer] of attempts) {
    await verify.getByLabel("Check", { exact: true }).selectOption({ label: "Date of birth" });
    await verify.getByLabel("Caller's answer").fill(wrong);
    await verify.getByRole("button", { name: "Check answer" }).click();
    await expect(page.getByText(answer)).toBeVisible();
  }
  await verify.getByLabel("Check", { exact: true }).selectOption({ label: "Date of birth" });
  await verify.getByLabel("Caller's answer").fill("03/03/1992");
  const lockedFrom = Date.now();
  await verify.getByRole("button", { name: "Check answer" }).click();
  const locked = verify.getByRole("alert").filter({ hasText: "Verification locked for this customer until" });
  await expect(locked).toContainText("a supervisor has been alerted");
  // It lifts 24 hours after the third failure, and says when.
  const lifts = Date.parse((await locked.locator("time").getAttribute("datetime"))!);
  expect(lifts).toBeGreaterThanOrEqual(lockedFrom + 24 * 3600_000 - 60_000);
  expect(lifts).toBeLessThanOrEqual(Date.now() + 24 * 3600_000 + 60_000);
  const liftsAt = new Date(lifts).toISOString().replace("T", " ").slice(0, 16) + " UTC";
  await expect(locked.locator("time")).toHaveText(liftsAt);
  // Never which part was wrong, never the stored value.
  await expect(verify).not.toContainText("1995");

  // Another agent, before and during a new call: still locked, with the time it lifts, and nothing to check.
  const colleagueContext = await browser.newContext();
  const colleague = await colleagueContext.newPage();
  await signIn(colleague, "agent.acme@demo.test");
  await colleague.goto(`/customers/${id}`);
  const callCard = colleague.getByRole("region", { name: "Call", exact: true });
  await expect(callCard.getByRole("alert")).toContainText(`Verification locked for this customer until ${liftsAt}`);
  await colleague.getByRole("button", { name: "Start call" }).click();
  const colleagueVerify = colleague.getByRole("region", { name: "Verify the caller" });
  await expect(colleagueVerify.getByRole("alert")).toContainText(`Verification locked for this customer until ${liftsAt}`);
  await expect(colleagueVerify.getByRole("button", { name: "Check answer" })).toHaveCount(0);
  await expect(colleagueVerify.getByRole("button", { name: /Send code/ })).toHaveCount(0);

  const supervisorContext = await browser.newContext();
  const supervisor = await supervisorContext.newPage();
  await signIn(supervisor, "supervisor@demo.test");
  await supervisor.getByRole("link", { name: /Verification alerts \d+ open/ }).click();
  const alert = supervisor.getByRole("region", { name: "Gwen Llewellyn (ACME-0005)" });
  await expect(alert).toContainText("3 failed verification attempts within 24 hours");
  await expect(alert).toContainText(`Verification locked for this customer until ${liftsAt}; closing the alert lifts it.`);
  await alert.getByRole("button", { name: "Close alert" }).click();
  await expect(alert.getByText("Write what you found and did")).toBeVisible();
  await alert.getByLabel("Review note").fill("Listened to the recording: genuine customer who misremembered; advised to update records.");
  await alert.getByRole("button", { name: "Close alert" }).click();
  await expect(supervisor.getByRole("region", { name: "Gwen Llewellyn (ACME-0005)" })).toHaveCount(0);
  await supervisorContext.close();

  // Closed with a note: the colleague's call can verify again, with a fresh count.
  await colleague.reload();
  await expect(colleagueVerify).not.toContainText("Verification locked");
  await expect(colleagueVerify).toContainText("attempts left: 3");
  await colleagueVerify.getByLabel("Check", { exact: true }).selectOption({ label: "Date of birth" });
  await colleagueVerify.getByLabel("Caller's answer").fill("17/05/1995");
  await colleagueVerify.getByRole("button", { name: "Check answer" }).click();
  await expect(colleagueVerify.getByRole("status").filter({ hasText: "Match" })).toContainText("verified (basic)");
  await colleagueContext.close();
});

test("a payment method's last 4 digits verify the caller, and the page shows them only once the caller is strongly verified", async ({ page, browser, request }) => {
  // The code comes through the mailbox, read as the admin, whose sign-in may wait for a fresh TOTP step.
  test.setTimeout(60_000);
  const id = await customerId(request, "GLX-0006"); // Priya Shah: a card ending 4242, a US account ending 6789
  await signIn(page, "agent@demo.test");
  await page.goto(`/customers/${id}`);
  await page.getByRole("button", { name: "Start call" }).click();
  const verify = page.getByRole("region", { name: "Verify the caller" });
  const checks = verify.getByLabel("Check", { exact: true });
  await expect(checks.getByRole("option", { name: "Last 4 of a payment method on file" })).toHaveCount(1);
  await expect(checks.getByRole("option", { name: /account reference/ })).toHaveCount(0);
  await expect(page.getByRole("region", { name: "Payment methods" })).toContainText("Needs strong verification");
  await expect(page.locator("main")).not.toContainText("4242");
  await expect(page.locator("main")).not.toContainText("6789");

  await checks.selectOption({ label: "Last 4 of a payment method on file" });
  await verify.getByLabel("Caller's answer").fill("67");
  await verify.getByRole("button", { name: "Check answer" }).click();
  await expect(verify.getByText("Type the 4 digits the caller reads out")).toBeVisible();
  await verify.getByLabel("Caller's answer").fill("6789");
  await verify.getByRole("button", { name: "Check answer" }).click();
  await expect(verify.getByRole("status").filter({ hasText: "Match" })).toContainText("verified (basic)");
  await expect(page.locator("main")).not.toContainText("4242");

  await verify.getByRole("button", { name: /Send code by email/ }).click();
  const mailbox = await openMailbox(browser);
  const code = /(\d{6}) is your/.exec(await messageTo(mailbox, "priya.shah@example.com", /verification code/))![1]!;
  await page.bringToFront();
  await verify.getByLabel("Code the caller reads out").fill(code);
  await verify.getByRole("button", { name: "Check code" }).click();
  // The code's answer: its message sits above the knowledge check's, which still says basic.
  await expect(verify.getByRole("status").filter({ hasText: "verified (strong)" })).toBeVisible();
  await expect(page.getByRole("list", { name: "Payment methods on file" })).toContainText("•••• 4242");
});
