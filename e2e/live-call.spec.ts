import { expect, test, type Page } from "@playwright/test";
import { customerId, openMailbox, signIn } from "./support";

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

test("three wrong answers lock verification, and the supervisor reviews the alert", async ({ page, browser, request }) => {
  test.setTimeout(45_000); // a second browser for the supervisor, who signs in too
  const id = await customerId(request, "ACME-0005"); // Gwen Llewellyn
  await signIn(page, "agent@demo.test");
  await page.goto(`/customers/${id}`);
  await page.getByRole("button", { name: "Start call" }).click();
  const verify = page.getByRole("region", { name: "Verify the caller" });
  const attempts = [
    ["01/01/1990", "No match. 2 attempts left."],
    ["02/02/1991", "No match. 1 attempt left."],
    ["03/03/1992", "Verification is locked for this call after 3 failed attempts"],
  ] as const;
  for (const [wrong, answer] of attempts) {
    await verify.getByLabel("Check", { exact: true }).selectOption({ label: "Date of birth" });
    await verify.getByLabel("Caller's answer").fill(wrong);
    await verify.getByRole("button", { name: "Check answer" }).click();
    await expect(page.getByText(answer)).toBeVisible();
  }
  await expect(verify.getByRole("alert").filter({ hasText: "locked" }).first()).toContainText("a supervisor has been alerted");
  // Never which part was wrong, never the stored value.
  await expect(verify).not.toContainText("1995");

  const supervisorContext = await browser.newContext();
  const supervisor = await supervisorContext.newPage();
  await signIn(supervisor, "supervisor@demo.test");
  await supervisor.getByRole("link", { name: /Verification alerts \d+ open/ }).click();
  const alert = supervisor.getByRole("region", { name: "Gwen Llewellyn (ACME-0005)" });
  await expect(alert).toContainText("3 failed verification attempts");
  await alert.getByRole("button", { name: "Close alert" }).click();
  await expect(alert.getByText("Write what you found and did")).toBeVisible();
  await alert.getByLabel("Review note").fill("Listened to the recording: genuine customer who misremembered; advised to update records.");
  await alert.getByRole("button", { name: "Close alert" }).click();
  await expect(supervisor.getByRole("region", { name: "Gwen Llewellyn (ACME-0005)" })).toHaveCount(0);
  await supervisorContext.close();
});
