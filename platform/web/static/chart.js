// Small time-series charts (uPlot) sized to their container.
/* global uPlot */

/**
 * Draw `series` ({label, values, colour}) against `times` (Date or ISO strings) into
 * `element`, with optional horizontal bands ({from, to, colour}) behind the lines.
 */
export function timeChart(element, times, series, { bands = [], yRange = null, height = 180 } = {}) {
  element.replaceChildren();
  const xs = times.map((t) => new Date(t).getTime() / 1000);
  const width = Math.max(240, element.clientWidth || 320);
  const options = {
    width,
    height,
    legend: { show: series.length > 1 },
    scales: { x: { time: true }, y: yRange ? { range: yRange } : {} },
    axes: [{ stroke: "#334" }, { stroke: "#334", size: 44 }],
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.colour, width: 2, points: { show: xs.length < 60 } }))],
    hooks: { drawClear: [(u) => drawBands(u, bands)] },
  };
  return new uPlot(options, [xs, ...series.map((s) => s.values)], element);
}

function drawBands(u, bands) {
  const { ctx, bbox } = u;
  for (const band of bands) {
    const top = u.valToPos(band.to ?? u.scales.y.max, "y", true);
    const bottom = u.valToPos(band.from ?? u.scales.y.min, "y", true);
    ctx.fillStyle = band.colour;
    ctx.fillRect(bbox.left, Math.min(top, bottom), bbox.width, Math.abs(bottom - top));
  }
}
