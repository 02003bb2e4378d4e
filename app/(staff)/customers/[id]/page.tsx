import { and, eq } from "drizzle-orm";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { AuditTrail } from "@/components/customers/audit-trail";
import { CallPanel } from "@/components/customers/call-panel";
import { InteractionHistory } from "@/components/customers/interaction-history";
import { Badge, Card } from "@/components/ui/card";
import { getDb } from "@/db/client";
import { customerSecurity, tenants, type PostalAddress } from "@/db/schema";
import { customerAuditTrail } from "@/lib/audit/audit";
import { consentPanel } from "@/lib/consent/panel";
import { requireStaff } from "@/lib/auth";
import { getCustomer } from "@/lib/customers/customers";
import { maskAddress, maskDateOfBirth, maskEmail, maskPhone } from "@/lib/customers/masking";
import { NotFoundError } from "@/lib/errors";
import { customerVerificationLock, verificationState } from "@/lib/identity/verification";
import { customerInteractions, DISPOSITION_LABELS, openCallWith } from "@/lib/interactions/interactions";
import { paymentMethodsOf, recordingState } from "@/lib/payments/payment-methods";
import { customerPreferencesView, FREQUENCY_LABELS } from "@/lib/preferences/preferences";
import { REQUEST_TYPE_LABELS, dayWords } from "@/lib/privacy-requests/messages";
import { customerPrivacyRequests, requestDeadline } from "@/lib/privacy-requests/requests";
import { endCallAction, startCallAction } from "./actions";
import { ConsentPanel } from "./consent-panel";
import { CustomerDetails } from "./customer-details";
import { PreferencesPanel } from "./preferences-panel";
import { ProfileForm, StatusForm } from "./profile-forms";
import { PaymentPanel } from "./payment-panel";
import { PrivacyPanel } from "./privacy-panel";
import { SecurityPanel } from "./security-panel";
import { subscriptionPanel } from "@/lib/subscriptions/panel";
import { SubscriptionPanel } from "./subscription-panel";
import { VerificationLockedNotice, VerificationPanel } from "./verification-panel";

export const metadata: Metadata = { title: "Customer" };

const DISPOSITIONS = Object.entries(DISPOSITION_LABELS).map(([value, label]) => ({ value, label }));
const REQUEST_TYPES = Object.entries(REQUEST_TYPE_LABELS).map(([value, label]) => ({ value, label }));

/** In-page links, so that an agent on a call reaches each panel in a keystroke or two (the ids are the cards' headings). */
const SECTIONS = [
  { id: "consent", label: "Consent", inCallOnly: false },
  { id: "payment-methods", label: "Payment methods", inCallOnly: true },
  { id: "subscription", label: "Subscription", inCallOnly: false },
  { id: "preferences", label: "Marketing preferences", inCallOnly: false },
  { id: "privacy-requests", label: "Privacy requests", inCallOnly: false },
  { id: "update-details", label: "Update details", inCallOnly: true },
  { id: "security", label: "Security settings", inCallOnly: true },
  { id: "history", label: "Interaction history", inCallOnly: false },
] as const;

export default async function CustomerPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ caller?: string }> }) {
  const staff = await requireStaff();
  const { id } = await params;
  const { caller } = await searchParams;
  const db = await getDb();
  const customer = await getCustomer(db, staff, id).catch((error: unknown) => {
    if (error instanceof NotFoundError) notFound();
    throw error;
  });
  const seesAudit = staff.role === "supervisor" || staff.role === "admin";
  const renderedAt = new Date();
  const [[tenant], history, openCall, audit, [security], consents, privacyRequests, lock] = await Promise.all([
    db.select({ name: tenants.name, defaultCountry: tenants.defaultCountry, emailDoubleOptIn: tenants.emailDoubleOptIn }).from(tenants).where(eq(tenants.id, customer.tenantId)),
    customerInteractions(db, staff, customer),
    openCallWith(db, staff, customer),
    seesAudit ? customerAuditTrail(db, staff, customer.tenantId, customer.id) : Promise.resolve([]),
    db
      .select({ question: customerSecurity.securityQuestion })
      .from(customerSecurity)
      .where(and(eq(customerSecurity.tenantId, customer.tenantId), eq(customerSecurity.customerId, customer.id))),
    consentPanel(db, staff, customer),
    customerPrivacyRequests(db, staff, customer),
    customerVerificationLock(db, staff, customer, renderedAt),
  ]);
  const verification = openCall ? await verificationState(db, staff, openCall.id) : null;
  const verified = verification !== null && verification.level !== "none";
  const inCall = openCall ? { interactionId: openCall.id, customerId: customer.id } : null;
  const payments =
    inCall && verification?.level === "strong"
      ? { methods: await paymentMethodsOf(db, staff, customer), recording: await recordingState(db, staff, inCall.interactionId) }
      : null;
  const preferences = await customerPreferencesView(db, staff, customer, inCall?.interactionId ?? null);

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-baseline gap-3">
        <h1 className="text-2xl font-bold">{customer.name}</h1>
        <span className="font-mono text-slate-700">{customer.ref}</span>
        <Badge tone="info">{tenant?.name}</Badge>
        <Badge tone={customer.status === "active" ? "good" : "neutral"}>{customer.status}</Badge>
        {customer.restricted ? <Badge tone="warn">processing restricted</Badge> : null}
      </div>
      <nav aria-label="Sections of this customer" className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
        {SECTIONS.filter((s) => inCall || !s.inCallOnly).map((s) => (
          <a key={s.id} href={`#${s.id}`} className="font-medium text-brand-700 underline-offset-2 hover:underline">
            {s.label}
          </a>
        ))}
      </nav>

      <div className="grid gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          <Card title="Call" titleId="call">
            {customer.status === "erased" && !openCall ? (
              <p className="text-sm text-slate-700">
                This customer&apos;s personal data was erased at their request. What the law requires is kept, restricted to that purpose; no call can be taken on this record.
              </p>
            ) : (
              <>
                {/* Before a call is taken: in a call, the verification panel says it. */}
                {lock.lockedUntil && !openCall ? (
                  <div className="mb-3">
                    <VerificationLockedNotice until={lock.lockedUntil} />
                  </div>
                ) : null}
                <CallPanel
                  customerId={customer.id}
                  openCall={
                    openCall
                      ? { id: openCall.id, startedAt: openCall.startedAt.toISOString(), callerNumber: maskPhone(openCall.callerNumber), recordingRef: openCall.recordingRef }
                      : null
                  }
                  callerFromScreenPop={caller}
                  dispositions={DISPOSITIONS}
                  startCallAction={startCallAction}
                  endCallAction={endCallAction}
                />
              </>
            )}
          </Card>
          {inCall && verification ? (
            <Card title="Verify the caller" titleId="verification">
              <VerificationPanel interactionId={inCall.interactionId} state={verification} />
            </Card>
          ) : null}
        </div>

        <Card title="Details" titleId="details">
          <p className="mb-2 text-xs text-slate-700">
            {verified ? "Caller verified: reveal a field only when the call needs it (each reveal is audited)." : "Masked until the caller is verified."}
          </p>
          <CustomerDetails
            customerId={customer.id}
            interactionId={inCall?.interactionId ?? null}
            canReveal={verified}
            rows={[
              { label: "Email", masked: maskEmail(customer.email), field: "email" },
              { label: "Phone", masked: maskPhone(customer.phone), field: "phone" },
              { label: "Address", masked: maskAddress(customer.address as PostalAddress | null), field: "address" },
              { label: "Date of birth", masked: maskDateOfBirth(customer.dateOfBirth), field: "dateOfBirth" },
              { label: "Language", masked: customer.language },
            ]}
          />
          {customer.statusReason ? <p className="mt-3 text-xs text-slate-700">Status reason: {customer.statusReason}</p> : null}
        </Card>
      </div>

      <Card title="Consent" titleId="consent">
        <ConsentPanel panel={consents} call={inCall} recordingRef={openCall?.recordingRef ?? null} canGrant={verified} doubleOptIn={tenant?.emailDoubleOptIn ?? false} />
      </Card>

      {inCall ? (
        <Card title="Payment methods" titleId="payment-methods">
          {payments ? (
            <PaymentPanel {...inCall} methods={payments.methods} recording={{ recorded: payments.recording.recorded, pausedSince: payments.recording.pausedSince?.toISOString() ?? null }} />
          ) : (
            <p className="text-sm text-slate-700">Needs strong verification: a one-time code plus a knowledge check.</p>
          )}
        </Card>
      ) : null}

      <Card title="Subscription" titleId="subscription">
        <SubscriptionPanel data={await subscriptionPanel(db, staff, customer)} call={inCall} canChange={verification?.level === "strong"} />
      </Card>

      <Card title="Marketing preferences" titleId="preferences">
        <PreferencesPanel view={preferences} call={inCall} frequencies={Object.entries(FREQUENCY_LABELS).map(([value, label]) => ({ value, label }))} />
      </Card>

      <Card title="Privacy requests" titleId="privacy-requests">
        <PrivacyPanel
          call={inCall}
          erased={customer.status === "erased"}
          strongVerified={verification?.level === "strong"}
          types={REQUEST_TYPES}
          restriction={customer.restricted && customer.status !== "erased" ? { customerId: customer.id, version: customer.version, canLift: seesAudit } : null}
          requests={privacyRequests.map((r) => ({
            id: r.id,
            typeLabel: REQUEST_TYPE_LABELS[r.type].split(":")[0]!,
            status: r.status,
            received: dayWords(r.receivedAt, r.regime),
            due: dayWords(r.dueAt, r.regime),
            overdue: requestDeadline(r, renderedAt) === "overdue",
          }))}
        />
      </Card>

      {inCall ? (
        <div className="grid gap-6 lg:grid-cols-2">
          <Card title="Update details" titleId="update-details">
            {verified ? (
              customer.status === "active" ? (
                <ProfileForm {...inCall} version={customer.version} defaultCountry={tenant!.defaultCountry} />
              ) : (
                <p className="text-sm text-slate-700">The profile is {customer.status}: reactivate it to change details.</p>
              )
            ) : (
              <p className="text-sm text-slate-700">Verify the caller first.</p>
            )}
            {verified ? (
              <div className="mt-4 border-t border-slate-200 pt-4">
                <StatusForm {...inCall} status={customer.status} />
              </div>
            ) : null}
          </Card>
          <Card title="Security settings" titleId="security">
            {verification?.level === "strong" ? (
              <SecurityPanel {...inCall} currentQuestion={security?.question ?? null} />
            ) : (
              <p className="text-sm text-slate-700">Needs strong verification: a one-time code plus a knowledge check.</p>
            )}
          </Card>
        </div>
      ) : null}

      <Card title="Interaction history" titleId="history">
        <InteractionHistory interactions={history} />
      </Card>

      {seesAudit ? (
        <Card title="Audit trail" titleId="audit">
          <AuditTrail events={audit} />
        </Card>
      ) : null}
    </div>
  );
}
