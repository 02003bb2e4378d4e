import { expect, test, type Page } from "@playwright/test";
import { authenticatorCode, signIn, typeAuthenticatorCode } from "./support";

// Several sign-ins, each with a password and a code.
test.describe.configure({ timeout: 90_000 });

/** A code the app does not show now, nor one step either side. */
const wrongCode = (secret: string) =>
  String((Number(authenticatorCode(secret)) + 500_000) % 1_000_000).padStart(6, "0");

async function enterPassword(page: Page, email: string, password: string) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("a new supervisor sets up an authenticator at first sign-in, then signs in with a code or a recovery code; a wrong code is refused", async ({
  browser,
}) => {
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, "admin@demo.test");
  await admin.goto("/admin/staff");
  const email = `two.step.${Date.now()}@demo.test`;
  const password = "a-long-enough-password";
  const create = admin.getByRole("form", { name: "Add staff member" });
  await create.getByLabel("Full name").fill("Tess Twostep");
  await create.getByLabel("Work email").fill(email);
  await create.getByLabel("Role").selectOption("supervisor");
  await create.getByLabel("Initial password").fill(password);
  await create.getByRole("checkbox", { name: "Acme Energy" }).check();
  await create.getByRole("button", { name: "Add staff member" }).click();
  await expect(create.getByRole("status")).toContainText(`can now sign in as ${email}`);

  const context = await browser.newContext();
  const page = await context.newPage();
  // A supervisor must have a second factor: no staff page before it is set up.
  await enterPassword(page, email, password);
  await expect(page).toHaveURL(/\/signin\/second-factor/);
  await expect(page.getByText("Set up two-step sign-in")).toBeVisible();
  await page.goto("/desk");
  await expect(page).toHaveURL(/\/signin/);
  await page.goto("/signin/second-factor");
  await expect(page.getByRole("img", { name: "QR code to scan with your authenticator app" })).toBeVisible();
  const secret = ((await page.getByLabel("Setup key").textContent()) ?? "").replace(/\s/g, "");
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);

  await page.getByLabel("Authentication code").fill(wrongCode(secret));
  await page.getByRole("button", { name: "Turn on two-step sign-in" }).click();
  await expect(page.getByText("That code did not work")).toBeVisible();
  await page.getByLabel("Authentication code").fill(authenticatorCode(secret));
  await page.getByRole("button", { name: "Turn on two-step sign-in" }).click();
  const codes = page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem");
  await expect(codes).toHaveCount(10);
  const recoveryCodes = await codes.allTextContents();
  await page.getByRole("button", { name: /I have saved my recovery codes/ }).click();
  await expect(page).toHaveURL(/\/desk/);
  await page.getByRole("button", { name: "Sign out" }).click();

  // Next time: the password, then a code from the app (the one just used for enrolment is refused).
  await enterPassword(page, email, password);
  await expect(page.getByLabel("Authentication code")).toBeVisible();
  await typeAuthenticatorCode(page, secret);
  await expect(page).toHaveURL(/\/desk/);
  await page.goto("/account/security");
  await expect(page.getByText("10 of 10 recovery codes left")).toBeVisible();
  await page.getByRole("button", { name: "Sign out" }).click();

  // A wrong code is refused; a recovery code works instead, once.
  await enterPassword(page, email, password);
  await page.getByLabel("Authentication code").fill("12345");
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByText("Enter the 6-digit code from your authenticator app")).toBeVisible();
  await page.getByLabel("Authentication code").fill(wrongCode(secret));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByText("That code did not work")).toBeVisible();
  await page.getByRole("button", { name: "Use a recovery code instead" }).click();
  await page.getByLabel("Recovery code").fill(recoveryCodes[0]!);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(/\/desk/);
  await page.goto("/account/security");
  await expect(page.getByText("9 of 10 recovery codes left")).toBeVisible();
  await page.getByRole("button", { name: "Sign out" }).click();

  await enterPassword(page, email, password);
  await page.getByRole("button", { name: "Use a recovery code instead" }).click();
  await page.getByLabel("Recovery code").fill(recoveryCodes[0]!);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByText("That recovery code did not work")).toBeVisible();

  // The admin resets the factor (a lost phone): the next sign-in sets one up again.
  await admin.reload();
  const reset = admin.getByRole("button", { name: "Reset two-step sign-in of Tess Twostep" });
  await reset.click();
  // The list is drawn again without the factor: no more reset button for Tess.
  await expect(reset).toBeHidden();
  await enterPassword(page, email, password);
  await expect(page.getByText("Set up two-step sign-in")).toBeVisible();

  await adminContext.close();
  await context.close();
});

test("a sign-in link whose next address leaves the site lands on the desk instead", async ({ page, baseURL }) => {
  await page.goto(`/signin?next=${encodeURIComponent("/\\evil.example")}`);
  await page.getByLabel("Email").fill("agent@demo.test");
  await page.getByLabel("Password").fill("demo-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(`${baseURL}/desk`);
});
