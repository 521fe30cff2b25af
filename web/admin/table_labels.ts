/**
 * Names each table cell after its column (`data-label`), so that on a phone, where a table row
 * becomes a card and the header row is hidden, the stylesheet can print "Status: active". One
 * observer for the whole panel: pages keep plain tables.
 */
export function labelTableCells(root: Node): MutationObserver {
  const label = () => {
    for (const table of document.querySelectorAll<HTMLTableElement>("table.table")) {
      const heads = [...table.querySelectorAll("thead th")].map((th) =>
        th.textContent?.trim() ?? ""
      );
      for (const row of table.querySelectorAll("tbody tr")) {
        [...row.children].forEach((cell, i) => {
          const name = heads[i] ?? "";
          if (name && cell.getAttribute("data-label") !== name) {
            cell.setAttribute("data-label", name);
          }
        });
      }
    }
  };
  // Setting an attribute is no child-list change, so labelling does not wake the observer.
  const observer = new MutationObserver(label);
  observer.observe(root, { childList: true, subtree: true });
  label();
  return observer;
}
