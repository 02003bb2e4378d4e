import type { ReactNode } from "react";

/** The QR code (drawn on the server) and the same secret as text, for an app that cannot scan. */
export function AuthenticatorSetup({ qrSvg, secret }: { qrSvg: string; secret: string }) {
  return (
    <div className="space-y-3 text-sm text-slate-800">
      <p>
        Scan this QR code with an authenticator app (for example Google Authenticator, Microsoft Authenticator or
        1Password):
      </p>
      <div
        role="img"
        aria-label="QR code to scan with your authenticator app"
        className="mx-auto h-48 w-48 [&>svg]:h-full [&>svg]:w-full"
        // Markup the qrcode package drew on the server from our own otpauth:// address.
        dangerouslySetInnerHTML={{ __html: qrSvg }}
      />
      <p>
        Or type this key into the app:{" "}
        <code aria-label="Setup key" className="break-all rounded bg-slate-100 px-1 py-0.5 font-mono text-sm">
          {secret.match(/.{1,4}/g)?.join(" ")}
        </code>
      </p>
    </div>
  );
}

/** The recovery codes just made: shown once, never again. */
export function RecoveryCodes({ codes, children }: { codes: string[]; children?: ReactNode }) {
  return (
    <section aria-labelledby="recovery-codes-title" className="space-y-3 text-sm text-slate-800">
      <h2 id="recovery-codes-title" className="text-lg font-semibold">
        Save your recovery codes
      </h2>
      <p>
        If you lose your phone, each of these codes signs you in once instead of a code from the app. Keep them
        somewhere safe, away from your phone. They are shown only now.
      </p>
      <ol aria-label="Recovery codes" className="grid grid-cols-2 gap-2 font-mono">
        {codes.map((code) => (
          <li key={code} className="rounded bg-slate-100 px-2 py-1">
            {code}
          </li>
        ))}
      </ol>
      {children}
    </section>
  );
}
