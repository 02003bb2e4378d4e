import type { ReactNode } from "react";

/**
 * A data table with a header row of column headings (`scope="col"`), scrolling sideways on narrow
 * screens. A heading given as `{ hidden: "Actions" }` is read by screen readers only.
 */
export function Table({ columns, children, dense = false, framed = false }: { columns: (string | { hidden: string })[]; children: ReactNode; dense?: boolean; framed?: boolean }) {
  const cell = dense ? "py-1 pr-3" : "px-3 py-2";
  return (
    <div className={`overflow-x-auto ${framed ? "rounded-lg border border-slate-200 bg-white shadow-sm" : ""}`}>
      <table className={`w-full text-left ${dense ? "text-xs" : "text-sm"}`}>
        <thead className={`text-slate-700 ${framed ? "bg-slate-50" : ""}`}>
          <tr>
            {columns.map((column) =>
              typeof column === "string" ? (
                <th key={column} scope="col" className={cell}>
                  {column}
                </th>
              ) : (
                <th key={column.hidden} scope="col" className={cell}>
                  <span className="sr-only">{column.hidden}</span>
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 align-top">{children}</tbody>
      </table>
    </div>
  );
}
