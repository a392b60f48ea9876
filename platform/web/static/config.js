// Site settings the server may replace. An empty tileUrl draws the bundled outlines instead of
// map tiles, so the screen works without any outside tile server.
window.TILSYN_CONFIG = {
  tileUrl: "",
  tileAttribution: "",
  center: [56.1393, 8.9738],
  zoom: 12,
};
