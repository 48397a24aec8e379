// Adding an alert to an incident or taking it out, from the queue's menu or the incident's pane.
import { api } from "../ipc";
import { caseChangedNow, work } from "./work.svelte";

/** Edit through cb-api (audited), then re-read the header, the queue and the panes. */
export async function editMembership(incident: string, alert: string, add: boolean): Promise<boolean> {
  const r = await api.incidentEdit(incident, alert, add);
  await caseChangedNow();
  work.tick++;
  return r.changed;
}
