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
