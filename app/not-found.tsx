import Link from "next/link";

export default function NotFound() {
  return (
    <main className="mx-auto max-w-xl px-4 py-16">
      <h1 className="text-2xl font-bold">Not found</h1>
      <p className="mt-2 text-slate-700">This page does not exist, or it is not available to you.</p>
      <Link href="/desk" className="mt-4 inline-block font-semibold text-brand-700 underline">
        Back to the desk
      </Link>
    </main>
  );
}
