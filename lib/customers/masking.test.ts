import { describe, expect, it } from "vitest";
import { maskAddress, maskDateOfBirth, maskEmail, maskName, maskPhone, maskedCustomerFields } from "./masking";

describe("maskEmail", () => {
  it("keeps the first letter of the local part and of the domain, and the top-level domain", () => {
    expect(maskEmail("ann.smith@example.com")).toBe("a•••@e•••.com");
    expect(maskEmail("zoe.bronte@example.co.uk")).toBe("z•••@e•••.uk");
    expect(maskEmail("x@localhost")).toBe("x•••@l•••");
  });

  it("hides everything of a value that is not an address, and passes nothing through for no email", () => {
    expect(maskEmail("not-an-email")).toBe("•••");
    expect(maskEmail("@example.com")).toBe("•••");
    expect(maskEmail(null)).toBeNull();
    expect(maskEmail(undefined)).toBeNull();
    expect(maskEmail("")).toBeNull();
  });
});

describe("maskPhone", () => {
  it("shows only the last three digits", () => {
    expect(maskPhone("+447911123456")).toBe("•••• •••456");
    expect(maskPhone("+1 (415) 555-0134")).toBe("•••• •••134");
  });

  it("leaks no other digit", () => {
    const masked = maskPhone("+447911123456")!;
    expect(masked.replace(/\D/g, "")).toBe("456");
  });

  it("answers null for no phone", () => {
    expect(maskPhone(null)).toBeNull();
    expect(maskPhone("")).toBeNull();
  });
});

describe("maskName", () => {
  it("keeps the initial of each part of the name", () => {
    expect(maskName("Ann Smith")).toBe("A••• S•••");
    expect(maskName("María José García")).toBe("M••• J••• G•••");
  });

  it("ignores surrounding and repeated spaces", () => {
    expect(maskName("  Zoë   Brontë ")).toBe("Z••• B•••");
  });

  it("answers null for no name", () => {
    expect(maskName(null)).toBeNull();
    expect(maskName("")).toBeNull();
  });
});

describe("maskAddress", () => {
  it("keeps the town only", () => {
    const masked = maskAddress({ line1: "12 Mill Lane", line2: "Flat 2", city: "Leeds", postcode: "LS1 4AB", country: "GB" });
    expect(masked).toBe("Leeds");
  });

  it("answers null for no address", () => {
    expect(maskAddress(null)).toBeNull();
    expect(maskAddress(undefined)).toBeNull();
  });
});

describe("maskDateOfBirth", () => {
  it("hides the whole date", () => {
    expect(maskDateOfBirth("1984-03-12")).toBe("••/••/••••");
    expect(maskDateOfBirth(null)).toBeNull();
  });
});

describe("maskedCustomerFields", () => {
  it("masks every personal field and keeps only the fields given", () => {
    const masked = maskedCustomerFields({
      name: "Ann Smith",
      email: "ann.smith@example.com",
      phone: "+447911123456",
      address: { line1: "12 Mill Lane", city: "Leeds", postcode: "LS1 4AB", country: "GB" },
      dateOfBirth: "1984-03-12",
      language: "en-GB",
    });
    expect(masked).toEqual({
      name: "A••• S•••",
      email: "a•••@e•••.com",
      phone: "•••• •••456",
      address: "Leeds",
      dateOfBirth: "••/••/••••",
      language: "en-GB",
    });
    const json = JSON.stringify(masked);
    for (const clear of ["Ann", "Smith", "ann.smith", "example", "7911123", "Mill Lane", "LS1", "1984"]) {
      expect(json).not.toContain(clear);
    }
    expect(maskedCustomerFields({ email: null })).toEqual({ email: null });
  });
});
