/* Turnpike portal, reference page: Redoc (its standalone bundle, served from this site) renders
   the contract beside the page. Telemetry off: the portal makes no call outside its origin. */
import { init } from "./__REDOC__";

const container = document.getElementById("redoc-container");
if (container) {
  init(container.getAttribute("data-spec-url"), { disableTelemetry: true, hideLoading: false, jsonSamplesExpandLevel: 2 }, container);
}
