import { z } from "zod";

const text = (max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined || issue.input === null ? "is required" : "must be a string") })
    .trim()
    .max(max, `must be at most ${max} characters`);

export const postalAddressSchema = z.object({
  line1: text(200).min(1, "is required"),
  line2: text(200).nullish(),
  city: text(100).min(1, "is required"),
  region: text(100).nullish(),
  postcode: text(20).min(1, "is required"),
  country: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{2}$/, "must be a two-letter ISO country code")
    .transform((c) => c.toUpperCase()),
});

/** BCP 47 language tag, the common shapes: `en`, `en-GB`, `es-419`, `zh-Hant`. */
export const languageTag = z
  .string()
  .trim()
  .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z]{4})?(-([a-zA-Z]{2}|\d{3}))?$/, "must be a language tag such as en or en-GB");

export const isoDate = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date as YYYY-MM-DD")
  .refine((v) => {
    const d = new Date(`${v}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(v);
  }, "is not a real date")
  .refine((v) => v >= "1900-01-01" && new Date(`${v}T00:00:00Z`) <= new Date(), "must be between 1900 and today");

/**
 * A customer as another system sends it (PUT /api/v1/customers/{ref}). Phone is checked against the
 * tenant's default country in the domain, since the schema does not know the tenant.
 */
export const emailAddress = z
  .string("must be a valid email address")
  .trim()
  .pipe(z.email("must be a valid email address").max(254, "must be at most 254 characters"))
  .transform((e) => e.toLowerCase());

export const customerInputSchema = z.object({
  name: text(200).min(1, "is required"),
  email: emailAddress.nullish(),
  phone: text(40).min(1, "must not be empty").nullish(),
  address: postalAddressSchema.nullish(),
  dateOfBirth: isoDate.nullish(),
  language: languageTag.nullish(),
});

export type CustomerInput = z.input<typeof customerInputSchema>;

export const customerRefSchema = z
  .string()
  .trim()
  .min(1, "is required")
  .max(64, "must be at most 64 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._\-]*$/, "may hold letters, digits, dot, dash and underscore only");
