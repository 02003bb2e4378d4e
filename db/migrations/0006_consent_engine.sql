ALTER TYPE "public"."outbox_channel" ADD VALUE 'webhook';--> statement-breakpoint
ALTER TYPE "public"."consent_action" ADD VALUE 'object';--> statement-breakpoint
ALTER TYPE "public"."consent_status" ADD VALUE 'objected';--> statement-breakpoint
CREATE TABLE "consent_disputes" (
	"tenant_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"interaction_id" uuid,
	"event_ids" uuid[] NOT NULL,
	"reported_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ip" text,
	"closed_at" timestamp with time zone,
	"closed_by" uuid,
	"closing_note" text,
	CONSTRAINT "consent_disputes_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "webhook_endpoints" (
	"tenant_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"url" text NOT NULL,
	"description" text NOT NULL,
	"event_types" text[] NOT NULL,
	"secret_sealed" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" uuid,
	"disabled_at" timestamp with time zone,
	CONSTRAINT "webhook_endpoints_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "email_double_opt_in" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "consent_disputes" ADD CONSTRAINT "consent_disputes_tenant_id_customer_id_customers_tenant_id_id_fk" FOREIGN KEY ("tenant_id","customer_id") REFERENCES "public"."customers"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "consent_disputes_open_idx" ON "consent_disputes" USING btree ("tenant_id","closed_at","reported_at");--> statement-breakpoint
CREATE INDEX "webhook_endpoints_active_idx" ON "webhook_endpoints" USING btree ("tenant_id") WHERE "webhook_endpoints"."disabled_at" is null;--> statement-breakpoint
CREATE INDEX "consent_state_expiry_idx" ON "consent_state" USING btree ("valid_until") WHERE "consent_state"."status" = 'granted' and "consent_state"."valid_until" is not null;