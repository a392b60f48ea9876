// The container map: one canvas circle per container, coloured by fill, clustered so that
// tens of thousands stay smooth. Updates restyle only the markers whose fill changed.
/* global L */

export function fillClass(fill) {
  if (fill === null || fill === undefined) return "unknown";
  if (fill >= 80) return "full";
  if (fill >= 50) return "half";
  return "low";
}

const COLOURS = { low: "#1a7f37", half: "#b76e00", full: "#c62828", unknown: "#6b7280" };
const RANK = { unknown: 0, low: 1, half: 2, full: 3 };
const UNCLUSTERED_ZOOM = 17; // from here on every container is drawn alone

/** A cluster shows its count in the colour of its fullest container: red means go look. */
function clusterIcon(cluster) {
  let worst = "unknown";
  for (const marker of cluster.getAllChildMarkers()) {
    const kind = marker.options.fillClass;
    if (RANK[kind] > RANK[worst]) worst = kind;
    if (worst === "full") break;
  }
  const count = cluster.getChildCount();
  const size = count < 100 ? 34 : count < 1000 ? 42 : 50;
  return L.divIcon({
    html: `<span>${count}</span>`,
    className: `cluster cluster-${worst}`,
    iconSize: [size, size],
  });
}

export class ContainerMap {
  constructor(element, config, onSelect) {
    this.markers = new Map();
    this.onSelect = onSelect;
    this._loaded = [];
    this._adding = false;
    this.map = L.map(element, { preferCanvas: true, zoomControl: true, minZoom: 9, maxZoom: 19 });
    this.map.setView(config.center, config.zoom);
    this.renderer = L.canvas({ padding: 0.5 });
    this.clusters = L.markerClusterGroup({
      chunkedLoading: true,
      iconCreateFunction: clusterIcon,
      disableClusteringAtZoom: UNCLUSTERED_ZOOM,
      showCoverageOnHover: false,
      chunkProgress: (done, total) => {
        if (done === total) {
          this._adding = false;
          this._settle();
        }
      },
    });
    this.map.addLayer(this.clusters);
  }

  /** Map tiles from the configured URL, or the bundled outlines on a plain background. */
  async addBackground(config) {
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(this.map);
      return;
    }
    this.map.getContainer().classList.add("plain");
    const outlines = await (await fetch("geo/herning.geojson")).json();
    this.outlines = L.geoJSON(outlines, {
      interactive: false,
      style: (f) => ({ color: "#50657a", weight: f.properties.kind === "town" ? 1 : 2, fillColor: f.properties.kind === "town" ? "#dfe6ee" : "#f4f6f8", fillOpacity: 1 }),
    }).addTo(this.map);
  }

  /** Apply a batch of container states: new ones are added, moved ones moved, changed ones
   * restyled. */
  apply(states) {
    const added = [];
    const changed = [];
    for (const state of states) {
      const marker = this.markers.get(state.container_id);
      if (marker === undefined) {
        added.push(this._marker(state));
        continue;
      }
      this._move(marker, state);
      if (this._restyle(marker, state)) changed.push(marker);
    }
    if (added.length) {
      this._adding = true;
      this.clusters.addLayers(added);
    }
    if (changed.length) this.clusters.refreshClusters(changed);
    return { added: added.length, changed: changed.length };
  }

  /** Take the markers of containers no longer in service off the map. */
  remove(containerIds) {
    const gone = containerIds.map((id) => this.markers.get(id)).filter((marker) => marker !== undefined);
    for (const id of containerIds) this.markers.delete(id);
    for (const marker of gone) marker.closeTooltip();
    if (gone.length) this.clusters.removeLayers(gone);
    return gone.length;
  }

  /** Resolves once markers added in chunks are all on the map (at once if none pending). */
  whenLoaded() {
    return new Promise((resolve) => {
      this._loaded.push(resolve);
      if (!this._adding) this._settle();
    });
  }

  _settle() {
    // chunkProgress runs just before the last chunk's clusters are drawn; wait one task.
    setTimeout(() => this._loaded.splice(0).forEach((resolve) => resolve()), 0);
  }

  _marker(state) {
    const kind = fillClass(state.fill_percent);
    const marker = L.circleMarker([state.latitude, state.longitude], {
      renderer: this.renderer,
      radius: 7,
      weight: 1,
      color: "#ffffff",
      fillColor: COLOURS[kind],
      fillOpacity: 0.95,
      fillClass: kind,
    });
    marker.state = state;
    marker.bindTooltip(() => `${marker.state.container_id} · ${marker.state.fill_percent?.toFixed(0) ?? "–"} %`);
    marker.on("click", () => this.onSelect?.(marker.state.container_id));
    this.markers.set(state.container_id, marker);
    return marker;
  }

  /** A container moved (its place corrected): the cluster group follows the marker's move. */
  _move(marker, state) {
    const { lat, lng } = marker.getLatLng();
    if (lat !== state.latitude || lng !== state.longitude) marker.setLatLng([state.latitude, state.longitude]);
  }

  _restyle(marker, state) {
    const previous = marker.state.fill_percent;
    marker.state = state;
    if (previous === state.fill_percent) return false;
    const kind = fillClass(state.fill_percent);
    if (kind === marker.options.fillClass) return false;
    marker.options.fillClass = kind;
    marker.setStyle({ fillColor: COLOURS[kind] });
    return true;
  }

  fitAll() {
    this.map.fitBounds(this.clusters.getBounds(), { padding: [20, 20] });
  }

  /** How many containers are drawn in view, alone or inside a cluster. */
  visibleCount() {
    let count = 0;
    this.clusters._featureGroup.eachLayer((layer) => { count += layer.getChildCount?.() ?? 1; });
    return count;
  }

  /** Show one container with its tooltip, zooming in where it is hidden in a cluster. Not
   * the cluster group's zoomToShowLayer: its handlers stay behind, and throw, when the marker
   * is taken off (retired) before the zoom ends. */
  focus(containerId) {
    const marker = this.markers.get(containerId);
    if (!marker) return;
    // A zoom under way (fitAll's) would end at the zoom it set out for: focus after it, and
    // outside its end events, which would otherwise be taken for this zoom's.
    if (this.map._animatingZoom) {
      this.map.once("moveend", () => setTimeout(() => this.focus(containerId), 0));
      return;
    }
    const shown = () => this.markers.get(containerId) === marker && this.map.hasLayer(marker);
    if (shown() && this.map.getBounds().contains(marker.getLatLng())) {
      marker.openTooltip();
      return;
    }
    // A zoom in draws the cluster's markers when its animation ends, a pan when it ends.
    const open = () => { if (shown()) marker.openTooltip(); };
    this.map.once("moveend", open);
    this.clusters.once("animationend", open);
    this.map.setView(marker.getLatLng(), Math.max(this.map.getZoom(), UNCLUSTERED_ZOOM));
  }
}
