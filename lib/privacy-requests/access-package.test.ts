import { createHash } from "node:crypto";
import { and, desc, eq } from "drizzle-orm";
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as reviewDownload } from "@/app/(staff)/privacy-requests/[id]/package/route";
import { useConnection } from "@/db/client";
import { accessPackages, auditEvents, customers, notices, outboxMessages, paymentMethods, privacyRequests, vaultTokens, type AccessPackage, type Customer, type PrivacyRequest } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor, type StaffActor } from "@/lib/actor";
import { recordCallConsent } from "@/lib/consent/capture";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "@/lib/errors";
import { unseal } from "@/lib/notifications/sealed";
import { customerByRef, freshCall, verifyStrongly } from "@/lib/payments/testing";
import { importMarketingPreferences } from "@/lib/preferences/preferences";
import {
  DOWNLOAD_LINK_TTL_MS,
  DownloadLinkError,
  buildAccessPackage,
  currentPackage,
  dropExpiredPackages,
  packageDownloadView,
  packageForDownload,
  packageForReview,
  reviewAndReleasePackage,
} from "./access-package";
import { confirmIdentity, rejectRequest } from "./queue";
import { createPrivacyRequest, logPrivacyRequest } from "./requests";

const RAJ_DOB = "1972-04-04";

// The staff route asks lib/auth who is signed in; here, whoever the test says.
const signedIn = vi.hoisted(() => ({ staff: null as StaffActor | null }));
vi.mock("@/lib/auth", () => ({ currentStaff: async () => signedIn.staff }));

type Files = Record<string, string>;

// Decoded keeping the byte-order mark, so that the CSV files can be seen to carry it.
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
const filesOf = (pkg: Pick<AccessPackage, "contents">): Files => Object.fromEntries(Object.entries(unzipSync(new Uint8Array(Buffer.from(pkg.contents!, "base64")))).map(([name, bytes]) => [name, utf8.decode(bytes)]));
const records = (files: Files, name: string) => JSON.parse(files[`${name}.json`]!).records as Record<string, unknown>[];

describe("access and portability packages", () => {
  let t: TestDatabase;
  let agent: StaffActor;
  let agentAcme: StaffActor;
  let supervisor: StaffActor;
  let admin: StaffActor;
  let globexOnlySupervisor: StaffActor;
  let raj: Customer;
  let access: PrivacyRequest;

  const requestNow = async (id: string) => (await t.db.select().from(privacyRequests).where(eq(privacyRequests.id, id)))[0]!;
  const packagesOf = (requestId: string) => t.db.select().from(accessPackages).where(eq(accessPackages.requestId, requestId)).orderBy(desc(accessPackages.builtAt));
  const readyMessages = (customerId: string) =>
    t.db
      .select()
      .from(outboxMessages)
      .where(and(eq(outboxMessages.customerId, customerId), eq(outboxMessages.template, "privacy_request.package_ready")));
  const note = { reviewNote: "Call summaries read: no other person named.", thirdPartyDataReviewed: true };

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    useConnection(t.connection);
    agent = await signedInStaff(t.db, "agent@demo.test");
    agentAcme = await signedInStaff(t.db, "agent.acme@demo.test");
    supervisor = await signedInStaff(t.db, "supervisor@demo.test");
    admin = await signedInStaff(t.db, "admin@demo.test");
    globexOnlySupervisor = { ...supervisor, tenantIds: [await tenantIdByKey(t.db, "globex")] };
    raj = await customerByRef(t.db, "acme", "ACME-0008");

    // Raj (a card and a bank account from the demo, a subscription) gives consent on a recorded call,
    // chooses marketing topics, and asks for everything held about him.
    const call = await freshCall(t.db, agent, raj, "REC-TEST-ACCESS-1");
    await verifyStrongly(t.db, agent, call, RAJ_DOB);
    const [script] = await t.db
      .select({ id: notices.id })
      .from(notices)
      .where(and(eq(notices.tenantId, raj.tenantId), eq(notices.kind, "script"), eq(notices.purposeKeys, ["marketing"])));
    await recordCallConsent(t.db, agent, { interactionId: call.id, customerId: raj.id, purpose: "marketing", channel: "email", decision: "grant", noticeId: script!.id, customerWords: "Yes, email me your offers" });
    await recordCallConsent(t.db, agent, { interactionId: call.id, customerId: raj.id, purpose: "third_party_sharing", channel: "post", decision: "refuse" });
    await importMarketingPreferences(t.db, systemActor("test import"), { tenantId: raj.tenantId, customerRef: raj.ref, topicKeys: ["tariff_news"], frequency: "monthly" });
    access = await logPrivacyRequest(t.db, agent, { interactionId: call.id, customerId: raj.id, type: "access", customerWords: "Send me everything you hold on me" });
    expect(access.status).toBe("open");
  });
  afterAll(() => t?.close());

  it("cannot be built by an agent, nor by a supervisor of another brand only", async () => {
    await expect(buildAccessPackage(t.db, agent, { requestId: access.id, version: access.version })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(buildAccessPackage(t.db, agentAcme, { requestId: access.id, version: access.version })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(buildAccessPackage(t.db, globexOnlySupervisor, { requestId: access.id, version: access.version })).rejects.toBeInstanceOf(NotFoundError);
    expect(await packagesOf(access.id)).toEqual([]);
    expect((await requestNow(access.id)).status).toBe("open");
  });

  it("holds each section of an access package (B6) with the customer's records, as JSON and CSV", async () => {
    const built = await buildAccessPackage(t.db, supervisor, { requestId: access.id, version: access.version });
    expect(built.contents).toBeNull(); // the screen gets the package without its contents
    const request = await requestNow(access.id);
    expect(request.status).toBe("awaiting_release");
    expect(request.assignedTo).toBe(supervisor.id);
    const [stored] = await packagesOf(access.id);
    expect(stored!.id).toBe(built.id);
    expect(stored!.builtBy).toBe(supervisor.id);
    const zip = Buffer.from(stored!.contents!, "base64");
    expect(stored!.sha256).toBe(createHash("sha256").update(zip).digest("hex"));
    expect(stored!.sizeBytes).toBe(zip.byteLength);

    const files = filesOf(stored!);
    const sections = ["profile", "contact-history", "consents", "consent-history", "consent-disputes", "marketing-preferences", "payment-methods", "subscriptions", "subscription-changes", "calls", "identity-checks", "security-settings", "privacy-requests", "messages", "activity"];
    expect(Object.keys(files).sort()).toEqual(["README.txt", "about-this-data.json", "schema.json", ...sections.flatMap((s) => [`${s}.json`, `${s}.csv`])].sort());
    // The manifest the reviewer sees names every file with its record count.
    expect(stored!.manifest.map((m) => m.file).sort()).toEqual(Object.keys(files).sort());
    for (const s of sections) expect(stored!.manifest.find((m) => m.file === `${s}.json`)!.records).toBe(records(files, s).length);

    const [profile] = records(files, "profile");
    expect(profile).toMatchObject({ accountRef: "ACME-0008", name: "Raj Patel", email: "raj.patel@example.com", dateOfBirth: RAJ_DOB, address: { line1: "5 Orchard Way", postcode: "LE1 6XY" } });
    for (const internal of ["tenantId", "id", "nameSearch", "version"]) expect(profile).not.toHaveProperty(internal);
    expect(records(files, "contact-history").map((c) => c.value)).toEqual(expect.arrayContaining(["raj.patel@example.com", raj.phone]));

    const history = records(files, "consent-history");
    const grant = history.find((e) => e.purpose === "marketing" && e.action === "grant")!;
    const [script] = await t.db.select().from(notices).where(and(eq(notices.tenantId, raj.tenantId), eq(notices.kind, "script"), eq(notices.purposeKeys, ["marketing"])));
    expect(grant).toMatchObject({ channel: "email", method: "verbal", noticeVersion: script!.version, noticeText: script!.text, noticeHash: script!.hash, recordingRef: "REC-TEST-ACCESS-1", evidence: { customerWords: "Yes, email me your offers" } });
    expect(grant.capturedBy).toBe("An agent of Acme Energy, on a call with you");
    expect(history.find((e) => e.purpose === "third_party_sharing")).toMatchObject({ action: "refuse", channel: "post" });
    expect(records(files, "consents")).toEqual(expect.arrayContaining([expect.objectContaining({ purpose: "marketing", channel: "email", status: "granted" })]));
    expect(records(files, "marketing-preferences")).toEqual([expect.objectContaining({ topics: ["Tariff news"], frequency: "monthly" })]);

    const methods = records(files, "payment-methods");
    expect(methods).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: "card", brand: "visa", last4: "4242", expiry: "12/2030", holderName: "Raj Patel" }),
        expect.objectContaining({ kind: "bank_account", brand: "iban", last4: "5432" }),
      ]),
    );
    expect(files["payment-methods.csv"]).toMatch(/^\uFEFFkind,brand,last4,expiry,holderName/);

    const [subscription] = records(files, "subscriptions");
    expect(subscription).toMatchObject({ status: "active", currency: "GBP" });
    expect(typeof subscription!.plan).toBe("string");
    const calls = records(files, "calls");
    expect(calls.some((c) => c.recordingRef === "REC-TEST-ACCESS-1")).toBe(true);
    expect(records(files, "identity-checks").some((v) => v.level === "strong")).toBe(true);
    expect(records(files, "privacy-requests")).toEqual([expect.objectContaining({ type: "access", yourWords: "Send me everything you hold on me" })]);
    expect(records(files, "messages").some((m) => m.subject && String(m.subject).startsWith("We have received your request"))).toBe(true);
    // A one-time code's message is listed, but its text is not kept to include.
    expect(records(files, "messages").filter((m) => String(m.subject ?? "").length === 0 || m.body === null).every((m) => m.body === null)).toBe(true);

    // Who accessed or changed the data: by role, never a staff member's name or email.
    const activity = records(files, "activity");
    expect(activity).toEqual(expect.arrayContaining([expect.objectContaining({ action: "payment_method.added", by: "An agent acting for Acme Energy" }), expect.objectContaining({ action: "privacy_request.logged" })]));
    const everything = Object.values(files).join("\n");
    expect(everything).not.toContain("@demo.test");
    expect(everything).not.toContain("Alex Agent");

    const about = JSON.parse(files["about-this-data.json"]!);
    expect(about.confirmation).toContain("Acme Energy processes personal data about you");
    expect(about.purposes).toEqual(expect.arrayContaining([expect.objectContaining({ code: "marketing", legalBasis: expect.stringContaining("Consent") })]));
    expect(about.recipients).toEqual(expect.arrayContaining([expect.objectContaining({ role: expect.stringContaining("Processor") })]));
    expect(about.rightToComplain).toContain("Information Commissioner's Office");
    expect(about.yourRights.join(" ")).toMatch(/rectification.*erased.*restrict.*object/is);
    expect(about.automatedDecisionMaking).toContain("None");
    expect(about.source.join(" ")).toContain("what you said on calls");
    expect(about.retention.length).toBeGreaterThan(3);
    expect(JSON.parse(files["schema.json"]!).dataSets.find((d: { name: string }) => d.name === "payment-methods").fields.map((f: { name: string }) => f.name)).toContain("last4");

    const [audit] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.entityId, access.id), eq(auditEvents.action, "privacy_request.package_built")));
    expect(audit).toMatchObject({ actorId: supervisor.id, customerId: raj.id, after: expect.objectContaining({ packageId: built.id, kind: "access" }) });
  });

  it("never holds a vault token, a fingerprint or a full card or account number", async () => {
    const [stored] = await packagesOf(access.id);
    const everything = Object.values(filesOf(stored!)).join("\n");
    const methods = await t.db.select().from(paymentMethods).where(and(eq(paymentMethods.tenantId, raj.tenantId), eq(paymentMethods.customerId, raj.id)));
    expect(methods.length).toBe(2);
    const vault = await t.db.select().from(vaultTokens).where(eq(vaultTokens.tenantId, raj.tenantId));
    for (const secret of [...methods.flatMap((m) => [m.vaultToken, m.fingerprint]), ...vault.flatMap((v) => [v.token, v.fingerprint])]) expect(everything).not.toContain(secret);
    for (const number of ["4242424242424242", "4242 4242 4242 4242", "GB82WEST12345698765432", "GB82 WEST 1234 5698 7654 32", "12345698765432"]) expect(everything).not.toContain(number);
    expect(everything).not.toMatch(/"(vaultToken|vault_token|fingerprint)"|[,\n](vaultToken|fingerprint)[,\r]/);
  });

  it("is built again in place of the unreleased one, whose contents are dropped", async () => {
    const first = (await packagesOf(access.id))[0]!;
    const request = await requestNow(access.id);
    const rebuilt = await buildAccessPackage(t.db, admin, { requestId: access.id, version: request.version }, new Date(Date.now() + 1000));
    const [latest, previous] = await packagesOf(access.id);
    expect(latest!.id).toBe(rebuilt.id);
    expect(previous!.id).toBe(first.id);
    expect(previous!.contents).toBeNull();
    expect(previous!.droppedAt).not.toBeNull();
    const current = await currentPackage(t.db, supervisor, access.id);
    expect(current).toMatchObject({ id: rebuilt.id, contents: null, droppedAt: null });
    await expect(currentPackage(t.db, agent, access.id)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(currentPackage(t.db, globexOnlySupervisor, access.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  const routeGet = (as: StaffActor | null, requestId = access.id) => {
    signedIn.staff = as;
    return reviewDownload(new Request(`http://localhost/privacy-requests/${requestId}/package`), { params: Promise.resolve({ id: requestId }) });
  };
  const reviewAudits = (packageId: string) => t.db.select().from(auditEvents).where(and(eq(auditEvents.entityId, packageId), eq(auditEvents.action, "access_package.downloaded_for_review")));

  it("can be downloaded for its review (B7) by a supervisor or admin of the brand only, each download audited", async () => {
    const [latest] = await packagesOf(access.id);
    const reviewed = await packageForReview(t.db, supervisor, access.id);
    expect(reviewed.packageId).toBe(latest!.id);
    expect(Buffer.from(reviewed.bytes).toString("base64")).toBe(latest!.contents);
    expect(reviewed.fileName).toMatch(/^review-acme-energy-your-personal-data-\d{4}-\d{2}-\d{2}\.zip$/);
    await expect(packageForReview(t.db, agent, access.id)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(packageForReview(t.db, globexOnlySupervisor, access.id)).rejects.toBeInstanceOf(NotFoundError);

    // Through the route, as the page's "Download to review" link opens it.
    const response = await routeGet(admin);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/zip");
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="${reviewed.fileName}"`);
    expect(response.headers.get("cache-control")).toBe("no-store, private");
    expect(Buffer.from(await response.arrayBuffer()).toString("base64")).toBe(latest!.contents);
    expect((await routeGet(null)).headers.get("location")).toBe("/signin");
    expect((await routeGet(agent)).status).toBe(404);
    expect((await routeGet(globexOnlySupervisor)).status).toBe(404);
    expect((await routeGet(supervisor, "not-a-request")).status).toBe(404);

    const audits = await reviewAudits(latest!.id);
    expect(audits.map((a) => [a.actorId, a.customerId]).sort()).toEqual([admin.id, supervisor.id].sort().map((id) => [id, raj.id]));
    expect(audits[0]!.after).toMatchObject({ requestId: access.id, sha256: latest!.sha256 });
    // Downloading changes nothing about the package or the request.
    expect((await packagesOf(access.id))[0]).toEqual(latest);
    expect((await requestNow(access.id)).status).toBe("awaiting_release");
  });

  it("is refused for release without the third-party review confirmed, or without a review note (B7)", async () => {
    const { version } = await requestNow(access.id);
    const refused = await reviewAndReleasePackage(t.db, supervisor, { requestId: access.id, version, ...note, thirdPartyDataReviewed: false }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).fieldErrors.map((e) => e.path)).toEqual(["thirdPartyDataReviewed"]);
    const noNote = await reviewAndReleasePackage(t.db, supervisor, { requestId: access.id, version, reviewNote: "ok", thirdPartyDataReviewed: true }).catch((e: unknown) => e);
    expect((noNote as ValidationError).fieldErrors.map((e) => e.path)).toEqual(["reviewNote"]);
    await expect(reviewAndReleasePackage(t.db, agent, { requestId: access.id, version, ...note })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(reviewAndReleasePackage(t.db, globexOnlySupervisor, { requestId: access.id, version, ...note })).rejects.toBeInstanceOf(NotFoundError);
    expect(await readyMessages(raj.id)).toEqual([]);
    expect((await requestNow(access.id)).status).toBe("awaiting_release");
    expect((await packagesOf(access.id))[0]!.releasedAt).toBeNull();
  });

  let token: string;
  let expiresAt: Date;
  let releasedAt: Date;

  it("is released with one sealed message whose link opens the package; only the link's hash is stored", async () => {
    const { version } = await requestNow(access.id);
    releasedAt = new Date(Date.now() + 2000);
    const released = await reviewAndReleasePackage(t.db, supervisor, { requestId: access.id, version, ...note }, releasedAt);
    expiresAt = released.expiresAt;
    expect(expiresAt.getTime()).toBe(releasedAt.getTime() + DOWNLOAD_LINK_TTL_MS);
    expect(DOWNLOAD_LINK_TTL_MS).toBe(7 * 24 * 60 * 60 * 1000);
    const [pkg] = await packagesOf(access.id);
    expect(released.request).toMatchObject({ status: "completed", completedBy: supervisor.id });
    expect(released.request.resolution).toContain(pkg!.id);
    expect(pkg).toMatchObject({ reviewedBy: supervisor.id, reviewNote: note.reviewNote, releasedAt, downloadExpiresAt: expiresAt, downloadCount: 0 });

    const messages = await readyMessages(raj.id);
    expect(messages).toHaveLength(1);
    const [message] = messages;
    expect(message).toMatchObject({ sensitive: true, channel: "email", recipient: "raj.patel@example.com" });
    expect(message!.body).not.toContain("/privacy/download/");
    const body = unseal(message!.body!);
    expect(body).toContain("Acme Energy: the copy of your personal data you asked for is ready.");
    token = /\/privacy\/download\/([A-Za-z0-9_-]+)/.exec(body)![1]!;
    expect(token).toHaveLength(43);
    expect(pkg!.downloadTokenHash).toBe(createHash("sha256").update(token).digest("hex"));
    expect(JSON.stringify(pkg)).not.toContain(token);

    const view = await packageDownloadView(t.db, token, releasedAt);
    expect(view).toMatchObject({ tenantName: "Acme Energy", kind: "access", expiresAt, sizeBytes: pkg!.sizeBytes, fileCount: pkg!.manifest.length });
    expect(view.fileName).toMatch(/^acme-energy-your-personal-data-\d{4}-\d{2}-\d{2}\.zip$/);
    expect((await packagesOf(access.id))[0]!.downloadCount).toBe(0); // the page counts nothing

    const download = await packageForDownload(t.db, token, new Date(releasedAt.getTime() + 60_000), { ip: "203.0.113.7", userAgent: "test browser" });
    expect(Buffer.from(download.bytes).toString("base64")).toBe(pkg!.contents);
    expect(download).toMatchObject({ fileName: view.fileName, tenantName: "Acme Energy", expiresAt, sizeBytes: pkg!.sizeBytes });
    await packageForDownload(t.db, token, new Date(releasedAt.getTime() + 120_000), { ip: "203.0.113.8" });
    const [after] = await packagesOf(access.id);
    expect(after).toMatchObject({ downloadCount: 2, lastDownloadedAt: new Date(releasedAt.getTime() + 120_000) });
    const audits = await t.db.select().from(auditEvents).where(and(eq(auditEvents.entityId, pkg!.id), eq(auditEvents.action, "access_package.downloaded")));
    expect(audits.map((a) => [a.actorType, a.ip, a.customerId]).sort()).toEqual([
      ["system", "203.0.113.7", raj.id],
      ["system", "203.0.113.8", raj.id],
    ]);
    // The review note stays on the package; the append-only audit says only where it is.
    const [releasedAudit] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.entityId, access.id), eq(auditEvents.action, "privacy_request.package_released")));
    expect(releasedAudit!.reason).toBe("review note recorded on the access package");
    const audited = await t.db.select().from(auditEvents);
    expect(audited.filter((a) => JSON.stringify(a).includes(note.reviewNote))).toEqual([]);
    // Released: the customer has it, and it is no longer downloaded for review.
    await expect(packageForReview(t.db, supervisor, access.id)).rejects.toThrow("This package has been released to the customer");
    const afterRelease = await routeGet(supervisor);
    expect(afterRelease.status).toBe(409);
    expect(await reviewAudits(pkg!.id)).toHaveLength(2); // the two before release, no more
    // Released, so a second release or a rebuild is refused.
    await expect(reviewAndReleasePackage(t.db, supervisor, { requestId: access.id, version: released.request.version, ...note })).rejects.toBeInstanceOf(ConflictError);
    await expect(buildAccessPackage(t.db, supervisor, { requestId: access.id, version: released.request.version })).rejects.toBeInstanceOf(ConflictError);
  });

  it("refuses an unknown or expired link, and a dropped file once the expiry sweep has run", async () => {
    const reasonOf = (p: Promise<unknown>) => p.then(() => "opened", (e: unknown) => (e instanceof DownloadLinkError ? e.reason : e));
    expect(await reasonOf(packageForDownload(t.db, "x".repeat(43)))).toBe("unknown");
    expect(await reasonOf(packageDownloadView(t.db, "not a token"))).toBe("unknown");
    const lapsed = new Date(expiresAt.getTime() + 1000);
    expect(await reasonOf(packageForDownload(t.db, token, lapsed))).toBe("expired");
    expect(await reasonOf(packageDownloadView(t.db, token, lapsed))).toBe("expired");
    expect((await packagesOf(access.id))[0]!.downloadCount).toBe(2);

    expect(await dropExpiredPackages(t.db, new Date(expiresAt.getTime() - 1000))).toEqual({ dropped: 0, moreWaiting: false });
    expect((await dropExpiredPackages(t.db, lapsed)).dropped).toBe(1);
    const [dropped] = await packagesOf(access.id);
    expect(dropped).toMatchObject({ contents: null, droppedAt: lapsed });
    expect(await reasonOf(packageForDownload(t.db, token, new Date(expiresAt.getTime() - 1000)))).toBe("dropped");
    const [audit] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.entityId, dropped!.id), eq(auditEvents.action, "access_package.dropped")));
    expect(audit).toMatchObject({ actorType: "system", customerId: raj.id });
  });

  it("is refused while the requester's identity is pending; a portability package then holds only what the customer provided (B12)", async () => {
    const pending = await createPrivacyRequest(t.db, supervisor, raj.tenantId, { customer: raj.ref, type: "portability", channel: "web" });
    expect(pending.status).toBe("identity_pending");
    await expect(buildAccessPackage(t.db, supervisor, { requestId: pending.id, version: pending.version })).rejects.toThrow("Confirm the requester's identity first");
    expect(await packagesOf(pending.id)).toEqual([]);

    const open = await confirmIdentity(t.db, supervisor, { requestId: pending.id, version: pending.version, method: "Date of birth and postcode checked against the account" });
    await buildAccessPackage(t.db, supervisor, { requestId: pending.id, version: open.version });
    const [pkg] = await packagesOf(pending.id);
    const files = filesOf(pkg!);
    expect(Object.keys(files).sort()).toEqual(["README.txt", "consent-history.csv", "consent-history.json", "consents.csv", "consents.json", "marketing-preferences.csv", "marketing-preferences.json", "profile.csv", "profile.json", "schema.json"]);
    const [profile] = records(files, "profile");
    expect(Object.keys(profile!).sort()).toEqual(["address", "dateOfBirth", "email", "language", "name", "phone"]);
    expect(records(files, "consent-history").find((e) => e.purpose === "marketing" && e.action === "grant")).toMatchObject({ yourWords: "Yes, email me your offers", channel: "email" });
    const everything = Object.values(files).join("\n");
    for (const absent of ["REC-TEST-ACCESS-1", "4242", "payment_method", "Send me everything"]) expect(everything).not.toContain(absent);
    const schema = JSON.parse(files["schema.json"]!);
    expect(schema.dataSets.map((d: { name: string }) => d.name)).toEqual(["profile", "marketing-preferences", "consents", "consent-history"]);
    for (const set of schema.dataSets) for (const field of set.fields) expect(field.description.length).toBeGreaterThan(0);
  });

  it("is not released when there is no contact on file to send the link to, and says so", async () => {
    const kenji = await customerByRef(t.db, "globex", "GLX-0010");
    const pending = await createPrivacyRequest(t.db, supervisor, kenji.tenantId, { customer: kenji.ref, type: "access", channel: "email" });
    const open = await confirmIdentity(t.db, supervisor, { requestId: pending.id, version: pending.version, method: "Date of birth and postcode checked against the account" });
    await buildAccessPackage(t.db, supervisor, { requestId: pending.id, version: open.version });
    const files = filesOf((await packagesOf(pending.id))[0]!);
    expect(JSON.parse(files["about-this-data.json"]!).rightToComplain).toContain("California Privacy Protection Agency");
    await t.db.update(customers).set({ email: null, phone: null }).where(and(eq(customers.tenantId, kenji.tenantId), eq(customers.id, kenji.id)));
    const { version } = await requestNow(pending.id);
    await expect(reviewAndReleasePackage(t.db, supervisor, { requestId: pending.id, version, ...note })).rejects.toThrow("There is no email address or phone number on file");
    expect((await requestNow(pending.id)).status).toBe("awaiting_release");
    expect(await readyMessages(kenji.id)).toEqual([]);
    expect((await packagesOf(pending.id))[0]).toMatchObject({ releasedAt: null, downloadTokenHash: null, reviewedBy: null });
  });

  it("is only for access and portability requests, and a package never released is dropped when its request closes", async () => {
    const call = await freshCall(t.db, agent, raj);
    await verifyStrongly(t.db, agent, call, RAJ_DOB);
    const rectification = await logPrivacyRequest(t.db, agent, { interactionId: call.id, customerId: raj.id, type: "rectification", customerWords: "My address is wrong" });
    await expect(buildAccessPackage(t.db, supervisor, { requestId: rectification.id, version: rectification.version })).rejects.toThrow("Only an access or portability request has a package.");

    // The portability package above was never released: refusing its request leaves it to the sweep.
    const [portability] = await t.db.select().from(privacyRequests).where(and(eq(privacyRequests.customerId, raj.id), eq(privacyRequests.type, "portability")));
    await rejectRequest(t.db, supervisor, { requestId: portability!.id, version: portability!.version, ground: "excessive", reason: "A copy of the same data was sent this week." });
    const swept = await dropExpiredPackages(t.db);
    expect(swept.dropped).toBeGreaterThanOrEqual(1);
    expect((await packagesOf(portability!.id))[0]).toMatchObject({ contents: null });
  });
});
