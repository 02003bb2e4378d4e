CREATE TYPE "public"."privacy_request_channel" AS ENUM('phone', 'chat', 'email', 'web', 'post', 'in_person', 'api', 'gpc');--> statement-breakpoint
CREATE TYPE "public"."privacy_request_status" AS ENUM('identity_pending', 'open', 'in_progress', 'awaiting_release', 'completed', 'rejected');--> statement-breakpoint
CREATE TYPE "public"."privacy_request_type" AS ENUM('access', 'portability', 'rectification', 'erasure', 'restriction', 'objection', 'opt_out_sale_share');--> statement-breakpoint
CREATE TYPE "public"."suppression_kind" AS ENUM('email', 'phone');--> statement-breakpoint
CREATE TABLE "access_packages" (
	"tenant_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"request_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"contents" text,
	"sha256" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"manifest" jsonb NOT NULL,
	"built_at" timestamp with time zone NOT NULL,
	"built_by" uuid,
	"reviewed_at" timestamp with time zone,
	"reviewed_by" uuid,
	"review_note" text,
	"released_at" timestamp with time zone,
	"download_token_hash" text,
	"download_expires_at" timestamp with time zone,
	"download_count" integer DEFAULT 0 NOT NULL,
	"last_downloaded_at" timestamp with time zone,
	"dropped_at" timestamp with time zone,
	CONSTRAINT "access_packages_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "privacy_requests" (
	"tenant_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"type" "privacy_request_type" NOT NULL,
	"status" "privacy_request_status" NOT NULL,
	"channel" "privacy_request_channel" NOT NULL,
	"regime" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"clock_started_at" timestamp with time zone NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"original_due_at" timestamp with time zone NOT NULL,
	"extended_at" timestamp with time zone,
	"extension_reason" text,
	"acknowledge_by" timestamp with time zone,
	"acknowledged_at" timestamp with time zone,
	"interaction_id" uuid,
	"verification_level" "verification_level" DEFAULT 'none' NOT NULL,
	"identity_pending_reason" text,
	"identity_confirmed_at" timestamp with time zone,
	"identity_confirmed_by" uuid,
	"identity_method" text,
	"customer_words" text,
	"assigned_to" uuid,
	"rejection_reason" text,
	"rejection_response" text,
	"resolution" text,
	"kept" jsonb,
	"completed_at" timestamp with time zone,
	"completed_by" uuid,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "privacy_requests_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "retention_holds" (
	"tenant_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"request_id" uuid,
	"category" text NOT NULL,
	"description" text NOT NULL,
	"basis" text NOT NULL,
	"delete_after" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "retention_holds_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "suppression_entries" (
	"tenant_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"kind" "suppression_kind" NOT NULL,
	"value_hash" text NOT NULL,
	"reason" text NOT NULL,
	"request_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "suppression_entries_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
ALTER TABLE "privacy_requests" ADD CONSTRAINT "privacy_requests_tenant_id_customer_id_customers_tenant_id_id_fk" FOREIGN KEY ("tenant_id","customer_id") REFERENCES "public"."customers"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "access_packages_request_idx" ON "access_packages" USING btree ("tenant_id","request_id");--> statement-breakpoint
CREATE UNIQUE INDEX "access_packages_token_key" ON "access_packages" USING btree ("download_token_hash") WHERE "access_packages"."download_token_hash" is not null;--> statement-breakpoint
CREATE INDEX "privacy_requests_queue_idx" ON "privacy_requests" USING btree ("tenant_id","status","due_at");--> statement-breakpoint
CREATE INDEX "privacy_requests_customer_idx" ON "privacy_requests" USING btree ("tenant_id","customer_id","received_at");--> statement-breakpoint
CREATE INDEX "retention_holds_customer_idx" ON "retention_holds" USING btree ("tenant_id","customer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "suppression_entries_value_key" ON "suppression_entries" USING btree ("tenant_id","kind","value_hash");