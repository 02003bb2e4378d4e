/** What a customer sees when a link from one of our messages cannot be used, and why. */
export function UnusableLink({ problem }: { problem: string }) {
  return (
    <>
      <h1 className="text-2xl font-bold text-slate-900">This link cannot be used</h1>
      <p role="alert" className="mt-3 text-slate-800">
        {problem}
      </p>
    </>
  );
}
