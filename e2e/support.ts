import { expect, type APIRequestContext, type Browser, type Page } from "@playwright/test";

export const DEMO_PASSWORD = "demo-password";

export async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
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
