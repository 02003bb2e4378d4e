import { expect, type APIRequestContext, type Browser, type Cookie, type Page } from "@playwright/test";
import * as OTPAuth from "otpauth";
import { DEMO_TOTP_SECRET, demoStaffWithAuthenticator } from "../db/demo-data";

export const DEMO_PASSWORD = "demo-password";

/** The code an authenticator app holding `secret` shows, `stepsAhead` 30-second steps from now. */
export function authenticatorCode(secret: string, stepsAhead = 0): string {
  return OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), timestamp: Date.now() + stepsAhead * 30_000 });
}

/**
 * On the second-factor page: types the app's current code. Each code works once per account, so when
 * another sign-in (the other worker) has just used it, the next step's code is typed (the server
 * accepts one step either side of its clock).
 */
export async function typeAuthenticatorCode(page: Page, secret: string) {
  const signedIn = page.getByRole("navigation", { name: "Main" });
  const used = page.getByText("already been used");
  await page.getByLabel("Authentication code").fill(authenticatorCode(secret));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(signedIn.or(used)).toBeVisible();
  if (await used.isVisible()) {
    await page.getByLabel("Authentication code").fill(authenticatorCode(secret, 1));
    await page.getByRole("button", { name: "Verify" }).click();
  }
  await expect(signedIn).toBeVisible();
}

// Signed-in cookies of the demo accounts with an authenticator, per worker: as a code works once, signing
// the same account in again within 30 s would have to wait for the next one (Playwright's own advice is
// to reuse a signed-in state). A saved session that has ended is signed in afresh.
const savedSessions = new Map<string, Cookie[]>();
const withAuthenticator = new Set<string>(demoStaffWithAuthenticator);

export async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
  const saved = savedSessions.get(email);
  if (saved) {
    await page.context().addCookies(saved);
    await page.goto("/desk");
    if (new URL(page.url()).pathname === "/desk") return;
    savedSessions.delete(email);
  }
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  if (withAuthenticator.has(email)) {
    await typeAuthenticatorCode(page, DEMO_TOTP_SECRET);
    savedSessions.set(email, (await page.context().cookies()).filter((c) => c.name.includes("session-token")));
  }
  await expect(page).toHaveURL(/\/desk/);
}

/** A demo customer's id, looked up through the public API as another system would. */
export async function customerId(request: APIRequestContext, ref: string): Promise<string> {
  const key = ref.startsWith("GLX") ? "demo-globex-api-key" : "demo-acme-api-key";
  const response = await request.get(`/api/v1/customers/${ref}`, { headers: { authorization: `Bearer ${key}` } });
  expect(response.status()).toBe(200);
  return (await response.json()).id;
}

/**
 * The dev mailbox, standing in for the customer's inbox: read by the demo admin in a browser of its
 * own, since sealed messages (codes, links) are opened for admins only, never for the agent on the call.
 */
export async function openMailbox(browser: Browser): Promise<Page> {
  const mailbox = await (await browser.newContext()).newPage();
  await signIn(mailbox, "admin@demo.test");
  await mailbox.goto("/dev/mailbox");
  return mailbox;
}

/** The newest dev-mailbox message to `recipient` whose text matches, waiting for the outbox worker. */
export async function messageTo(mailbox: Page, recipient: string, containing: RegExp): Promise<string> {
  const message = mailbox.getByRole("article").filter({ hasText: recipient }).filter({ hasText: containing }).first();
  await expect(async () => {
    await mailbox.reload();
    await expect(message).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 25_000 });
  return (await message.textContent()) ?? "";
}
