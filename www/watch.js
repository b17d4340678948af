// Shows a player's state in a status line and its counters in a <pre>.
export function watch(player, status, stats) {
  if (!player) {
    status.textContent = "The player could not start.";
    return;
  }
  const say = (text) => { status.textContent = text; };
  player.addEventListener("sourceestablished", () => say("Playing."));
  player.addEventListener("error", (e) => say(`Problem: ${e.detail.reason}`));
  player.addEventListener("reconnect", (e) =>
    say(`Reconnecting in ${e.detail.delay.toFixed(1)} s (attempt ${e.detail.attempt})…`));
  player.addEventListener("stalled", () => say("Waiting for data…"));
  player.addEventListener("ended", () => say("Ended."));
  setInterval(() => {
    const s = player.stats;
    stats.textContent = [
      `renderer        ${player.renderer}`,
      `size            ${player.videoWidth}x${player.videoHeight}`,
      `received        ${(s.bytesReceived / 1e6).toFixed(2)} MB`,
      `frames          ${s.framesDecoded} decoded, ${s.framesShown} shown, ${s.framesDropped} dropped`,
      `audio frames    ${s.audioFramesDecoded} decoded, ${s.audioFramesDropped} dropped`,
      `latency         ${(s.latency * 1000).toFixed(0)} ms (decoded → shown)`,
      `audio queued    ${(s.audioAhead * 1000).toFixed(0)} ms`,
    ].join("\n");
  }, 500);
}
