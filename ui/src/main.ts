import "./app.css";
import { mount } from "svelte";
import App from "./App.svelte";
import { api } from "./ipc";

// Anything the CSP blocks is a bug (or an attack): say so where scripts and tests can see it.
const violations: string[] = [];
(window as unknown as { __cspViolations: string[] }).__cspViolations = violations;
document.addEventListener("securitypolicyviolation", (e) => {
  const line = `${e.violatedDirective} ${e.blockedURI}`;
  violations.push(line);
  void api.report(`csp-violation ${line}`);
});

// Uncaught errors reach stderr too (scripts and the e2e log show them).
window.addEventListener("error", (e) => void api.report(`js-error ${e.message} at ${e.filename}:${e.lineno}`));
window.addEventListener("unhandledrejection", (e) => void api.report(`js-rejection ${String(e.reason)}`));

const app = mount(App, { target: document.getElementById("app")! });
export default app;
