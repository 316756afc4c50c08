// Sortable tables (click a header) and live updates: the server's event stream says a region's
// figures changed; the page fetches itself again and swaps its content in place.
function sortable(root) {
  root.querySelectorAll("table.sortable").forEach((table) => {
    table.querySelectorAll("th").forEach((th, col) => {
      th.addEventListener("click", () => {
        const body = table.tBodies[0];
        const asc = !th.classList.contains("asc");
        table.querySelectorAll("th").forEach((h) => h.classList.remove("asc", "desc"));
        th.classList.add(asc ? "asc" : "desc");
        const key = (row) => {
          const cell = row.cells[col];
          const raw = cell ? (cell.dataset.sort ?? cell.textContent.trim()) : "";
          const num = parseFloat(raw);
          return th.dataset.type === "text" || isNaN(num) ? raw.toLowerCase() : num;
        };
        const rows = Array.from(body.rows);
        rows.sort((a, b) => {
          const x = key(a), y = key(b);
          const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "ru");
          return asc ? c : -c;
        });
        rows.forEach((r) => body.appendChild(r));
      });
    });
  });
}

function live() {
  const region = document.body.dataset.live;
  if (!region || !window.EventSource) return;
  const status = document.getElementById("live-status");
  const source = new EventSource("/live?region=" + encodeURIComponent(region));
  source.onopen = () => { if (status) status.textContent = "Обновляется автоматически."; };
  source.addEventListener("changed", async () => {
    const response = await fetch(location.href, { headers: { "X-Requested-With": "live" } });
    if (!response.ok) return;
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = doc.getElementById("content");
    if (fresh) {
      document.getElementById("content").innerHTML = fresh.innerHTML;
      sortable(document.getElementById("content"));
      if (status) status.textContent = "Обновлено " + new Date().toLocaleTimeString("ru-RU") + ".";
    }
  });
}

document.addEventListener("DOMContentLoaded", () => { sortable(document); live(); });
