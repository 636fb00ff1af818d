// Väggskärm: fetch the tiles again every so often (the server says how often), and go full
// screen on request. Without JavaScript the page still shows the figures of its load.
(function () {
  "use strict";
  const board = document.getElementById("board");
  if (!board) return;
  const every = Number(board.dataset.refresh || 30) * 1000;
  async function refresh() {
    try {
      const response = await fetch(window.location.href, { headers: { "X-Fragment": "1" } });
      // Sent elsewhere (the login has run out, say): show that page, not inside the board.
      if (response.redirected) window.location.reload();
      else if (response.ok) board.innerHTML = await response.text();
    } catch (error) {
      // The network is away for a moment: the next round tries again.
    }
  }
  window.setInterval(refresh, every);
  const button = document.querySelector("[data-fullscreen]");
  if (button && document.documentElement.requestFullscreen) {
    button.addEventListener("click", function () {
      if (document.fullscreenElement) document.exitFullscreen();
      else document.documentElement.requestFullscreen();
    });
  } else if (button) {
    button.hidden = true;
  }
})();
