import type { Metadata } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Attest", template: "%s · Attest" },
  description: "The contact-centre desk for consent and identity, and the record that proves it.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page is rendered for its request: the Content-Security-Policy (proxy.ts) carries a fresh
  // nonce, and a page prerendered at build time would hold scripts without it, which the browser refuses.
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen">{children}</body>
    </html>
  );
}
