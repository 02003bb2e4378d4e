-- A mailbox that already holds a message twice (sent again after a crash) keeps its first copy.
DELETE FROM "dev_mailbox" a USING "dev_mailbox" b WHERE a."message_id" = b."message_id" AND (a."received_at", a."id") > (b."received_at", b."id");--> statement-breakpoint
CREATE UNIQUE INDEX "dev_mailbox_message_key" ON "dev_mailbox" USING btree ("message_id");
