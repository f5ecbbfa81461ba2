// The network view on entity and peer group pages: draws the network with Cytoscape.js (served from static,
// loaded before this script) from the JSON the page embeds. The same network is always in the tables beside it,
// so the diagram is an aid for sighted users, never the only way to read the network.
(function () {
  "use strict";

  const COLOURS = {
    person: "#1d70b8",
    vehicle: "#00703c",
    phone: "#4c2c92",
    place: "#d4351c",
    organisation: "#6f777b",
  };

  function start(container) {
    const source = document.getElementById(container.dataset.elements);
    if (!source || typeof window.cytoscape !== "function") return;
    const elements = JSON.parse(source.textContent);
    container.hidden = false;
    container.style.height = "480px";
    container.style.border = "1px solid #b1b4b6";
    container.style.marginBottom = "15px";
    const cy = window.cytoscape({
      container,
      elements,
      wheelSensitivity: 0.2,
      layout: { name: elements.length > 150 ? "grid" : "cose", animate: false, randomize: false, nodeRepulsion: 8000 },
      style: [
        {
          selector: "node",
          style: {
            label: "data(label)",
            shape: "data(shape)",
            "background-color": (node) => COLOURS[node.data("kind")] || "#505a5f",
            color: "#0b0c0c",
            "font-family": "Arial, sans-serif",
            "font-size": 11,
            "text-valign": "bottom",
            "text-margin-y": 4,
            width: 22,
            height: 22,
          },
        },
        { selector: "node[?centre]", style: { width: 34, height: 34, "border-width": 4, "border-color": "#ffdd00" } },
        {
          selector: "edge",
          style: {
            width: (edge) => Math.min(1 + edge.data("weight"), 6),
            "line-color": "#b1b4b6",
            "curve-style": "bezier",
          },
        },
        { selector: "edge:selected", style: { label: "data(label)", "font-size": 10, "line-color": "#0b0c0c" } },
      ],
    });
    cy.on("tap", "node", (event) => {
      const href = event.target.data("href");
      if (href) window.location.assign(href);
    });
    container.dataset.ready = "true";
  }

  // Cytoscape.js adds an inline <style> giving its container `position: relative` unless an element with this id
  // is already in the page. The Content-Security-Policy refuses inline styles (decision 0021), so the rule is in
  // lantern.css (frontend/lantern/_figures.scss) and this empty element stands in for the <style>.
  function markStylesheetPresent() {
    const id = "__________cytoscape_stylesheet";
    if (document.getElementById(id)) return;
    const marker = document.createElement("meta");
    marker.id = id;
    document.head.append(marker);
  }

  function startAll() {
    markStylesheetPresent();
    document.querySelectorAll('[data-module="lantern-network"]').forEach(start);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startAll);
  else startAll();
})();
