import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { signIn } from "./support";

test("an admin creates a staff member, who is refused on their next request once deactivated", async ({ browser }) => {
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, "admin@demo.test");
  await admin.goto("/admin/staff");

  const create = admin.getByRole("form", { name: "Add staff member" });
  // Bad input is refused per field and nothing is created.
  await create.getByLabel("Work email").fill("not-an-email");
  await create.getByLabel("Initial password").fill("short");
  await create.getByRole("button", { name: "Add staff member" }).click();
  await expect(create.getByText("Enter a valid email address")).toBeVisible();
  await expect(create.getByText("Password must be at least 12 characters")).toBeVisible();
  await expect(create.getByText("Assign at least one tenant")).toBeVisible();

  const email = `temp.agent.${Date.now()}@demo.test`;
  await create.getByLabel("Full name").fill("Temp Agent");
  await create.getByLabel("Work email").fill(email);
  await create.getByLabel("Initial password").fill("a-long-enough-password");
  await create.getByRole("checkbox", { name: "Acme Energy" }).check();
  await create.getByRole("button", { name: "Add staff member" }).click();
  await expect(create.getByRole("status")).toContainText(`can now sign in as ${email}`);

  const agentContext = await browser.newContext();
  const agent = await agentContext.newPage();
  await signIn(agent, email, "a-long-enough-password");
  await expect(agent.getByText("Temp Agent")).toBeVisible();

  await admin.reload();
  const edit = admin.getByRole("form", { name: "Edit Temp Agent" });
  await edit.getByLabel("Status of Temp Agent").selectOption("false");
  await edit.getByRole("button", { name: "Save Temp Agent" }).click();
  await expect(edit.getByRole("status")).toContainText("Saved");

  // The agent's cookie is still valid, but the account is not: the next request is refused.
  await agent.goto("/desk");
  await expect(agent).toHaveURL(/\/signin/);

  await adminContext.close();
  await agentContext.close();
});

test("an admin creates an API key that is shown once and works, then revokes it", async ({ page, request }) => {
  await signIn(page, "admin@demo.test");
  await page.goto("/admin/api-keys");
  const form = page.getByRole("form", { name: "Create API key" });
  await form.getByLabel("Tenant").selectOption({ label: "Acme Energy" });
  const name = `Dialler ${Date.now()}`;
  await form.getByLabel("Key name").fill(name);
  await form.getByRole("checkbox", { name: "customers:read" }).check();
  await form.getByRole("button", { name: "Create API key" }).click();

  const key = await page.getByLabel("New API key").inputValue();
  expect(key).toMatch(/^att_/);
  const ok = await request.get("/api/v1/customers/ACME-0001", { headers: { authorization: `Bearer ${key}` } });
  expect(ok.status()).toBe(200);
  const noScope = await request.put("/api/v1/customers/ACME-0001", { headers: { authorization: `Bearer ${key}` }, data: { name: "X" } });
  expect(noScope.status()).toBe(403);

  await page.reload();
  await expect(page.getByText(key)).toHaveCount(0); // never shown again
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("button", { name: `Revoke ${name}` }).click();
  await expect(page.getByRole("row", { name: new RegExp(name) })).toContainText("revoked");
  const revoked = await request.get("/api/v1/customers/ACME-0001", { headers: { authorization: `Bearer ${key}` } });
  expect(revoked.status()).toBe(401);
});

test("an admin registers a webhook endpoint; its secret is shown once and signs the consent.changed delivery", async ({ page, request }) => {
  const received: { signature: string; body: string }[] = [];
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ signature: String(req.headers["attest-signature"] ?? ""), body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  try {
    await signIn(page, "admin@demo.test");
    await page.goto("/admin/webhooks");
    const form = page.getByRole("form", { name: "Register webhook endpoint" });
    await form.getByLabel("Tenant").selectOption({ label: "Acme Energy" });
    await form.getByLabel("Description").fill("Campaign tool");
    await form.getByLabel("Endpoint URL").fill(url);
    await form.getByRole("checkbox", { name: "consent.changed" }).check();
    await form.getByRole("button", { name: "Register endpoint" }).click();
    const secret = await page.getByLabel("Signing secret").inputValue();
    expect(secret.length).toBeGreaterThan(20);

    const recorded = await request.post("/api/v1/consents", {
      headers: { authorization: "Bearer demo-acme-api-key" },
      data: { customer: "ACME-0011", purpose: "marketing", channel: "post", action: "refuse", method: "written" },
    });
    expect(recorded.status()).toBe(201);
    await expect.poll(() => received.length, { timeout: 20_000 }).toBeGreaterThan(0);
    const [delivery] = received;
    const { t, v1 } = Object.fromEntries(delivery!.signature.split(",").map((part) => part.split("=") as [string, string]));
    expect(v1).toBe(createHmac("sha256", secret).update(`${t}.${delivery!.body}`).digest("hex"));
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: "consent.changed", tenant: "acme", data: { customer: "ACME-0011", purpose: "marketing", channel: "post", action: "refuse" } });

    await page.reload();
    await expect(page.getByText(secret)).toHaveCount(0); // never shown again
    await expect(page.getByRole("region", { name: "Recent deliveries" })).toContainText("delivered");
  } finally {
    receiver.close();
  }
});

test("an admin's notice that does not say how to withdraw is refused on its text field", async ({ page }) => {
  await signIn(page, "admin@demo.test");
  await page.goto("/admin/purposes");
  const form = page.getByRole("form", { name: "Publish a notice version for Acme Energy" });
  await form.getByRole("checkbox", { name: /Marketing/ }).check();
  await form.getByLabel("Text").fill("Acme Energy would like to use your details for Marketing by email and SMS.");
  await form.getByRole("button", { name: "Publish version" }).click();
  await expect(form.getByText(/^Must name .*how to withdraw consent/)).toBeVisible();
  await expect(form.getByLabel("Text")).toHaveAttribute("aria-invalid", "true");
});
