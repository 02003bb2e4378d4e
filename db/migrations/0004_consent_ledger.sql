CREATE TYPE "public"."consent_action" AS ENUM('grant', 'refuse', 'withdraw', 'renew', 'expire', 'invalidate', 'request_confirmation', 'confirm');--> statement-breakpoint
CREATE TYPE "public"."consent_channel" AS ENUM('email', 'sms', 'phone', 'post', 'in_app');--> statement-breakpoint
CREATE TYPE "public"."consent_method" AS ENUM('verbal', 'web', 'written', 'ivr', 'api', 'gpc', 'import');--> statement-breakpoint
CREATE TYPE "public"."consent_status" AS ENUM('granted', 'refused', 'withdrawn', 'expired', 'pending_confirmation', 'invalidated');--> statement-breakpoint
CREATE TYPE "public"."legal_basis" AS ENUM('consent', 'legitimate_interests', 'contract', 'legal_obligation', 'vital_interests', 'public_task');--> statement-breakpoint
CREATE TYPE "public"."notice_kind" AS ENUM('script', 'web');--> statement-breakpoint
CREATE TABLE "consent_events" (
	"tenant_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"chain_seq" integer NOT NULL,
	"purpose_id" uuid NOT NULL,
	"channel" "consent_channel" NOT NULL,
	"contact_point_hash" text,
	"action" "consent_action" NOT NULL,
	"method" "consent_method" NOT NULL,
	"notice_id" uuid,
	"language" text,
	"captured_by_type" text NOT NULL,
	"captured_by_id" text,
	"interaction_id" uuid,
	"recording_ref" text,
	"evidence_hash" text,
	"jurisdiction" text[] NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	"valid_until" timestamp with time zone,
	"idempotency_key" text,
	"prev_hash" text,
	"hash" text NOT NULL,
	CONSTRAINT "consent_events_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "consent_evidence" (
	"tenant_id" uuid NOT NULL,
	"event_id" uuid NOT NULL,
	"evidence" jsonb NOT NULL,
	CONSTRAINT "consent_evidence_tenant_id_event_id_pk" PRIMARY KEY("tenant_id","event_id")
);
--> statement-breakpoint
CREATE TABLE "consent_state" (
	"tenant_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"purpose_id" uuid NOT NULL,
	"channel" "consent_channel" NOT NULL,
	"status" "consent_status" NOT NULL,
	"event_id" uuid NOT NULL,
	"since" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone,
	"contact_point_hash" text,
	CONSTRAINT "consent_state_tenant_id_customer_id_purpose_id_channel_pk" PRIMARY KEY("tenant_id","customer_id","purpose_id","channel")
);
--> statement-breakpoint
CREATE TABLE "notices" (
	"tenant_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"purpose_keys" text[] NOT NULL,
	"kind" "notice_kind" NOT NULL,
	"language" text NOT NULL,
	"version" integer NOT NULL,
	"text" text NOT NULL,
	"hash" text NOT NULL,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notices_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "purposes" (
	"tenant_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"key" text NOT NULL,
	"name" text NOT NULL,
	"legal_basis" "legal_basis" DEFAULT 'consent' NOT NULL,
	"category" text NOT NULL,
	"special_category" boolean DEFAULT false NOT NULL,
	"channels" "consent_channel"[] NOT NULL,
	"review_interval_days" integer,
	"valid_for_days" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "purposes_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
ALTER TABLE "consent_events" ADD CONSTRAINT "consent_events_tenant_id_customer_id_customers_tenant_id_id_fk" FOREIGN KEY ("tenant_id","customer_id") REFERENCES "public"."customers"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consent_events" ADD CONSTRAINT "consent_events_tenant_id_purpose_id_purposes_tenant_id_id_fk" FOREIGN KEY ("tenant_id","purpose_id") REFERENCES "public"."purposes"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notices" ADD CONSTRAINT "notices_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "purposes" ADD CONSTRAINT "purposes_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "consent_events_chain_key" ON "consent_events" USING btree ("tenant_id","customer_id","chain_seq");--> statement-breakpoint
CREATE UNIQUE INDEX "consent_events_idempotency_key" ON "consent_events" USING btree ("tenant_id","idempotency_key") WHERE "consent_events"."idempotency_key" is not null;--> statement-breakpoint
CREATE INDEX "consent_events_check_idx" ON "consent_events" USING btree ("tenant_id","customer_id","purpose_id","channel","occurred_at");--> statement-breakpoint
CREATE UNIQUE INDEX "notices_version_key" ON "notices" USING btree ("tenant_id","kind","language","purpose_keys","version");--> statement-breakpoint
CREATE UNIQUE INDEX "purposes_tenant_key" ON "purposes" USING btree ("tenant_id","key");