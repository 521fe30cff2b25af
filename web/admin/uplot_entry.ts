/** The uPlot bundle's entry (`/admin/assets/uplot.js`), loaded by `lazy.ts`. */
export { default as uPlot } from "uplot";
