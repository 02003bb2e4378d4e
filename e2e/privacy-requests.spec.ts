import { readFileSync } from "node:fs";
import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { customerId, messageTo, openMailbox, signIn } from "./support";

// Each journey is two people (an agent on the call, then a supervisor) and the outbox worker's round
// trips; they take well under a minute, the ceiling leaves room on a loaded 2-core machine.
test.describe.configure({ timeout: 90_000 });

const ACME_KEY = { authorization: "Bearer demo-acme-api-key" };

/** Opens the customer's page, starts a call and verifies the caller strongly: a code sent by email, then the date of birth. */
async function callVerifiedStrongly(page: Page, browser: Browser, id: string, caller: { email: string; dateOfBirth: string }): Promise<Page> {
  await page.goto(`/customers/${id}`);
  await page.getByRole("button", { name: "Start call" }).click();
  const verify = page.getByRole("region", { name: "Verify the caller" });
  await verify.getByRole("button", { name: /Send code by email/ }).click();
  const mailbox = await openMailbox(browser);
  const code = /(\d{6}) is your/.exec(await messageTo(mailbox, caller.email, /verification code/))![1]!;
  await page.bringToFront();
  await verify.getByLabel("Code the caller reads out").fill(code);
  await verify.getByRole("button", { name: "Check code" }).click();
  await verify.getByLabel("Check", { exact: true }).selectOption({ label: "Date of birth" });
  await verify.getByLabel("Caller's answer").fill(caller.dateOfBirth);
  await verify.getByRole("button", { name: "Check answer" }).click();
  await expect(verify.getByRole("status").filter({ hasText: "Match" }).last()).toContainText("verified (strong)");
  return mailbox;
}

/** Logs what the caller asks for and answers the read-back the agent is shown. */
async function logRequest(page: Page, type: RegExp, words: string): Promise<string> {
  const panel = page.getByRole("region", { name: "Privacy requests" });
  const form = panel.getByRole("form", { name: "Log a privacy request" });
  await form.getByLabel("What the customer is asking for").selectOption({ label: (await form.getByRole("option", { name: type }).textContent())! });
  await form.getByLabel("The customer's words").fill(words);
  await form.getByRole("button", { name: "Log request" }).click();
  const readBack = form.getByRole("status");
  await expect(readBack).toContainText("Read to the customer");
  return (await readBack.textContent()) ?? "";
}

async function supervisorPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, "supervisor@demo.test");
  return { context, page };
}

/** A fact of the request page (a <dt> and its <dd>). */
const fact = (page: Page, label: string) => page.locator("dt", { hasText: new RegExp(`^${label}$`) }).locator("xpath=following-sibling::dd[1]");

/**
 * England and Wales bank holidays (gov.uk), for checking the UK GDPR due date independently of the
 * app's holiday rules. Outside these years the journey checks only that every screen agrees.
 */
const BANK_HOLIDAYS: Record<number, string[]> = {
  2026: ["2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28"],
  2027: ["2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30", "2027-12-27", "2027-12-28"],
  2028: ["2028-01-03", "2028-04-14", "2028-04-17", "2028-05-01", "2028-05-29", "2028-08-28", "2028-12-25", "2028-12-26"],
};

/**
 * RULES.md B1 as the ICO states it: the corresponding calendar day of the next month (the last day of
 * that month when it has none), moved to the next working day when it is a weekend or bank holiday;
 * counted on London's calendar. Null when the holidays of that year are not listed above.
 */
function ukMonthFrom(now: Date): string | null {
  const [year, month, date] = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London", year: "numeric", month: "2-digit", day: "2-digit" }).format(now).split("-").map(Number) as [number, number, number];
  const lastOfNext = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const due = new Date(Date.UTC(year, month, Math.min(date, lastOfNext)));
  const holiday = (d: Date) => BANK_HOLIDAYS[d.getUTCFullYear()]?.includes(d.toISOString().slice(0, 10));
  if (!BANK_HOLIDAYS[due.getUTCFullYear()]) return null;
  while (due.getUTCDay() === 0 || due.getUTCDay() === 6 || holiday(due)) due.setUTCDate(due.getUTCDate() + 1);
  if (!BANK_HOLIDAYS[due.getUTCFullYear()]) return null;
  return due.toLocaleDateString("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}

test("an access request logged on a call is released by a supervisor, and the customer downloads the zip", async ({ page, browser, request }) => {
  const id = await customerId(request, "ACME-0006"); // Peter Okafor, born 09/09/1988
  const email = "peter.okafor@example.com";
  const expectedDue = ukMonthFrom(new Date());

  // The agent, on the call.
  await signIn(page, "agent@demo.test");
  const mailbox = await callVerifiedStrongly(page, browser, id, { email, dateOfBirth: "09/09/1988" });
  await page.bringToFront();
  const readBack = await logRequest(page, /^Access/, "Can you send me a copy of everything you hold about me?");
  const due = /We will respond by ([^,]+, \d{1,2} \w+ \d{4})/.exec(readBack)?.[1] ?? /due ([^.]+ \d{4})/.exec(readBack)?.[1];
  expect(due, readBack).toBeTruthy();
  if (expectedDue) expect(due).toBe(expectedDue);
  expect(readBack).toContain("“I've logged your request for a copy of your personal data today.");
  const panel = page.getByRole("region", { name: "Privacy requests" });
  await expect(panel.getByRole("row").filter({ hasText: "Access" })).toContainText(/open/i);
  await page.screenshot({ path: "reports/screens/customer-privacy-panel.png", fullPage: true });
  await panel.screenshot({ path: "reports/screens/customer-privacy-panel-card.png" });
  // The acknowledgement (D1) reaches the customer too, with the same date.
  expect(await messageTo(mailbox, email, /We have received your request for a copy/)).toContain(due!.replace(/^\w+, /, ""));

  // The supervisor, in the queue.
  const supervisor = await supervisorPage(browser);
  const sv = supervisor.page;
  await sv.getByRole("link", { name: "Privacy requests" }).first().click();
  await expect(sv.getByRole("heading", { level: 1, name: "Privacy requests" })).toBeVisible();
  const row = sv.getByRole("row").filter({ has: sv.getByRole("link", { name: "Peter Okafor" }) });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("ACME-0006");
  await expect(row).toContainText("Access");
  await expect(row.getByRole("cell").first()).toContainText(due!);
  await sv.screenshot({ path: "reports/screens/privacy-queue.png", fullPage: true });

  await row.getByRole("link", { name: "Peter Okafor" }).click();
  await expect(sv.getByRole("heading", { level: 1 })).toHaveText(/Access request/);
  await expect(fact(sv, "Due")).toContainText(due!);
  await expect(fact(sv, "In the customer's words")).toContainText("a copy of everything you hold about me");

  const packageCard = sv.getByRole("region", { name: "Access package" });
  await packageCard.getByRole("button", { name: "Build package" }).click();
  const manifest = packageCard.getByRole("table");
  await expect(manifest).toContainText(".json");
  expect(await manifest.getByRole("row").count()).toBeGreaterThan(3);
  await expect(sv.getByText("Awaiting release").first()).toBeVisible();
  // Building assigned the request to the supervisor, and the Assign step shows it (not "Nobody").
  await expect(fact(sv, "Assigned to")).toHaveText("Sam Supervisor");
  await expect(sv.getByRole("form", { name: "Assign" }).getByLabel("Assigned to").locator("option:checked")).toHaveText("Sam Supervisor");

  // B7: the reviewer downloads the package to read it (the session's cookies; each download audited).
  const reviewHref = await packageCard.getByRole("link", { name: "Download to review" }).getAttribute("href");
  const reviewCopy = await sv.request.get(reviewHref!);
  expect(reviewCopy.status()).toBe(200);
  expect(reviewCopy.headers()["content-type"]).toBe("application/zip");

  // B7: no release without the review of other people's data.
  const release = packageCard.getByRole("form", { name: "Review and release" });
  const reviewed = release.getByRole("checkbox", { name: /reviewed the package for other people's personal data/ });
  await release.getByLabel("Review note").fill("Checked the call notes and messages: no other person's data.");
  await release.getByRole("button", { name: "Release to the customer" }).click();
  await expect(reviewed).toHaveAttribute("aria-invalid", "true");
  await expect(release.getByText(/Confirm that other people's data in the package was reviewed/)).toBeVisible();
  await sv.screenshot({ path: "reports/screens/privacy-request-access.png", fullPage: true });

  await reviewed.check();
  await release.getByRole("button", { name: "Release to the customer" }).click();
  await expect(sv.getByText("Completed").first()).toBeVisible();
  await expect(fact(sv, "Outcome")).toContainText(/released/);
  await expect(sv.getByRole("region", { name: "History" })).toContainText("package released");
  await supervisor.context.close();

  // The customer's message: a sealed body, opened by the mailbox, with the link.
  await mailbox.bringToFront();
  const ready = await messageTo(mailbox, email, /ready to download/);
  expect(ready).toContain("Sensitive: sealed at rest");
  const link = /https?:\/\/\S+?(\/privacy\/download\/[A-Za-z0-9_-]{43})/.exec(ready);
  expect(link, ready).toBeTruthy();

  // The customer follows it, signed out (a fresh browser), and downloads a zip.
  const customer = await browser.newContext();
  const downloadPage = await customer.newPage();
  const landing = await downloadPage.goto(link![1]!);
  expect(landing?.status()).toBe(200);
  await expect(downloadPage.getByRole("heading", { level: 1 })).toHaveText("Your data is ready to download");
  const downloadLink = downloadPage.getByRole("link", { name: /^Download/ });
  const [download] = await Promise.all([downloadPage.waitForEvent("download"), downloadLink.click()]);
  expect(download.suggestedFilename()).toMatch(/\.zip$/);
  expect(readFileSync(await download.path()).subarray(0, 2).toString("latin1")).toBe("PK");
  // What the link answers, as any client sees it: a zip, as an attachment.
  const file = await customer.request.get((await downloadLink.getAttribute("href"))!);
  expect(file.status()).toBe(200);
  expect(file.headers()["content-type"]).toBe("application/zip");
  expect(file.headers()["content-disposition"]).toMatch(/^attachment; filename=".+\.zip"$/);
  expect((await file.body()).subarray(0, 2).toString("latin1")).toBe("PK");
  await customer.close();
});

test("an erasure request logged on a call is carried out by a supervisor, and nothing personal is left to find", async ({ page, browser, request }) => {
  const id = await customerId(request, "ACME-0010"); // Tomasz Nowak, born 15/06/1986
  const email = "tomasz.nowak@example.pl";

  await signIn(page, "agent@demo.test");
  const mailbox = await callVerifiedStrongly(page, browser, id, { email, dateOfBirth: "15/06/1986" });
  await page.bringToFront();
  const readBack = await logRequest(page, /^Erasure/, "Please delete all the data you have on me, I am leaving.");
  expect(readBack).toMatch(/request to delete|erasure/i);
  await messageTo(mailbox, email, /We have received your request to delete/);

  const supervisor = await supervisorPage(browser);
  const sv = supervisor.page;
  await sv.goto("/privacy-requests");
  const row = sv.getByRole("row").filter({ has: sv.getByRole("link", { name: "Tomasz Nowak" }) });
  await expect(row).toContainText("Erasure");
  await row.getByRole("link", { name: "Tomasz Nowak" }).click();
  await expect(sv.getByRole("heading", { level: 1 })).toHaveText(/Erasure request/);

  // What goes and what stays, before anything is done.
  const erasure = sv.getByRole("region", { name: "Erasure" });
  await expect(erasure.getByRole("heading", { name: "Erased or anonymised" })).toBeVisible();
  await expect(erasure).toContainText("The customer's name, email address, phone number");
  await expect(erasure.getByRole("heading", { name: "Kept, restricted to its purpose" })).toBeVisible();
  await expect(erasure).toContainText("The record of the privacy requests");
  await sv.screenshot({ path: "reports/screens/privacy-request-erasure.png", fullPage: true });

  // The tick is required: erasure cannot be undone.
  const carryOut = erasure.getByRole("form", { name: "Carry out erasure" });
  await carryOut.getByRole("button", { name: "Erase now" }).click();
  await expect(carryOut.getByText("Tick to confirm: erasure cannot be undone")).toBeVisible();
  await expect(sv.getByText("Tomasz Nowak").first()).toBeVisible(); // nothing was erased

  // Not while the agent is still on the line with the customer.
  await carryOut.getByRole("checkbox", { name: /Erasure cannot be undone/ }).check();
  await carryOut.getByRole("button", { name: "Erase now" }).click();
  await expect(carryOut.getByRole("alert")).toContainText("An agent is on a call with this customer");
  await page.bringToFront();
  await page.getByLabel("Disposition").selectOption("resolved");
  await page.getByLabel("Summary").fill("Customer asked us to delete their data; logged for a supervisor.");
  await page.getByRole("button", { name: "End call" }).click();
  await expect(page.getByText(/Call ended after/)).toBeVisible();

  await sv.bringToFront();
  await carryOut.getByRole("checkbox", { name: /Erasure cannot be undone/ }).check();
  await carryOut.getByRole("button", { name: "Erase now" }).click();
  await expect(sv.getByText("Completed").first()).toBeVisible();
  const requestCard = sv.getByRole("region", { name: "The request" });
  await expect(requestCard.getByRole("heading", { name: "Kept after erasure, and why" })).toBeVisible();
  const kept = (await requestCard.getByRole("listitem").allTextContents()).map((t) => t.trim());
  expect(kept.some((k) => k.startsWith("The record of the privacy requests"))).toBe(true);
  expect(kept.some((k) => k.startsWith("A scrambled (hashed) form"))).toBe(true);
  await expect(fact(sv, "Customer")).toContainText("erased");
  await expect(sv.locator("main")).not.toContainText("Tomasz");
  await sv.screenshot({ path: "reports/screens/privacy-request-erased.png", fullPage: true });

  // The customer page: the placeholder name, nothing to reveal, no intake.
  await fact(sv, "Customer").getByRole("link").click();
  await expect(sv.getByRole("heading", { level: 1 })).toHaveText("Erased customer");
  await expect(sv.locator("main")).toContainText("erased");
  for (const personal of ["Tomasz", "Nowak", email, "07456", "789012", "Queen Street", "1986"]) await expect(sv.locator("main")).not.toContainText(personal);
  await sv.screenshot({ path: "reports/screens/customer-erased.png", fullPage: true });
  await supervisor.context.close();

  // The brand's systems see it erased, and the consent check says so.
  const record = await (await request.get("/api/v1/customers/ACME-0010", { headers: ACME_KEY })).json();
  expect(record).toMatchObject({ ref: "ACME-0010", status: "erased", name: null, email: null, phone: null, address: null, dateOfBirth: null });
  const check = await (await request.get("/api/v1/consents/check?customer=ACME-0010&purpose=marketing&channel=email", { headers: ACME_KEY })).json();
  expect(check).toMatchObject({ allowed: false, reason: "erased" });

  // B9(e): the customer is told what was kept and why (the suppression list in its own sentence).
  await mailbox.bringToFront();
  const notice = await messageTo(mailbox, email, /has been deleted/);
  for (const k of kept) {
    if (k.startsWith("A scrambled (hashed) form")) expect(notice).toContain("scrambled (hashed) copy of your email address and phone number");
    else expect(notice).toContain(k.slice(0, 40));
  }
  // The earlier messages to the customer keep their record but lose their text.
  await expect(mailbox.getByRole("article").filter({ hasText: /verification code/ }).filter({ hasText: email })).toHaveCount(0);

  // Nobody finds them on the desk any more.
  await page.goto("/desk");
  await page.getByLabel("Search customers").fill("Tomasz");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: /No customers match/ })).toBeVisible();
});
